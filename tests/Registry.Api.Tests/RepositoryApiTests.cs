using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Registry.Api.Auth;
using Registry.Api.Identity.Ldap;
using Registry.Api.Management;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Api.Tests;

/// <summary>
/// The registry for <see cref="RepositoryApiTests"/>. A directory that refuses every call stands in
/// for LDAP where no implementation is registered (none of these tests sign in through LDAP).
/// </summary>
public sealed class RepositoryApiFixture : IAsyncLifetime
{
    public RegistryFactory Registry { get; } = new()
    {
        Customize = b => b.ConfigureTestServices(s => s.TryAddSingleton(_ => DispatchProxy.Create<ILdapDirectory, NoDirectory>())),
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Registry.DisposeAsync();

    public class NoDirectory : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            throw new NotSupportedException("no LDAP directory in these tests");
    }
}

/// <summary>
/// Harbor's repository and artifact API: repositories by nested and double-encoded names, their
/// descriptions and deletion; artifacts with tags, sizes, types, index references and accessories;
/// tags; copies between projects; search and statistics; pull counts; and who may do what.
/// </summary>
public sealed class RepositoryApiTests(RepositoryApiFixture fixture) : IClassFixture<RepositoryApiFixture>
{
    private const string Api = "/api/v2.0";
    private const string HelmConfig = "application/vnd.cncf.helm.config.v1+json";
    private const string HelmContent = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    private const string CosignSignature = "application/vnd.dev.cosign.artifact.sig.v1+json";
    private const string CosignSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json";

    private RegistryFactory Registry => fixture.Registry;
    private OciClient Admin => Registry.Admin;
    private IServiceProvider Services => Registry.Services;

    // ---- repositories ----

    [Fact]
    public async Task RepositoriesWithNestedNamesAreListedReadDescribedAndDeletedByDoubleEncodedNames()
    {
        var project = await ProjectAsync();
        var nested = await Admin.PushImageAsync($"{project.Name}/team/app", "v1");
        await Admin.PushImageAsync($"{project.Name}/solo", "v1");

        var list = await ListAsync(Admin, $"/projects/{project.Name}/repositories");
        Assert.Equal(2, list.Count);
        var app = Assert.Single(list, r => r.GetProperty("name").GetString() == $"{project.Name}/team/app");
        Assert.Equal(project.Id, app.GetProperty("project_id").GetInt64());
        Assert.Equal(1, app.GetProperty("artifact_count").GetInt64());
        Assert.Equal(0, app.GetProperty("pull_count").GetInt64());
        Assert.Equal("", app.GetProperty("description").GetString());
        Assert.True(app.GetProperty("id").GetInt64() > 0);
        Assert.True(app.TryGetProperty("creation_time", out _));
        Assert.True(app.TryGetProperty("update_time", out _));

        var twice = Path(project.Name, "team/app");
        var once = $"/projects/{project.Name}/repositories/{Uri.EscapeDataString("team/app")}";
        Assert.Contains("%252F", twice);
        foreach (var path in new[] { twice, once })
        {
            var repository = await JsonAsync(Admin, path);
            Assert.Equal($"{project.Name}/team/app", repository.GetProperty("name").GetString());
            Assert.Equal(app.GetProperty("id").GetInt64(), repository.GetProperty("id").GetInt64());
        }

        const string description = "<script>alert('x')</script> & \"quoted\" <b>bold</b>";
        await Expect.StatusAsync(await SendAsync(Admin, HttpMethod.Put, twice, new { description, name = "ignored/other" }), HttpStatusCode.OK);
        var described = await Admin.GetAsync(Api + twice);
        Assert.Equal("application/json", described.Content.Headers.ContentType?.MediaType);
        Assert.Equal(description, (await Expect.JsonAsync(described)).GetProperty("description").GetString());
        Assert.Equal($"{project.Name}/team/app", (await Expect.JsonAsync(described)).GetProperty("name").GetString());
        Assert.Contains(await AuditAsync(project.Id), a => a.Resource == $"{project.Name}/team/app" && a.ResourceType == "repository" && a.Operation == "update");

        await Expect.StatusAsync(await Admin.DeleteAsync(Api + twice), HttpStatusCode.OK);
        await HarborErrorAsync(await Admin.GetAsync(Api + twice), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborErrorAsync(await Admin.DeleteAsync(Api + twice), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal([$"{project.Name}/solo"], (await ListAsync(Admin, $"/projects/{project.Name}/repositories")).Select(r => r.GetProperty("name").GetString()));
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{project.Name}/team/app/manifests/v1"), HttpStatusCode.NotFound);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{project.Name}/team/app/manifests/{nested.Manifest.Digest}"), HttpStatusCode.NotFound);
        Assert.Contains(await AuditAsync(project.Id), a => a.Resource == $"{project.Name}/team/app" && a.ResourceType == "repository" && a.Operation == "delete");

        // With its last repository deleted the project can go.
        await Expect.StatusAsync(await Admin.DeleteAsync($"{Api}{Path(project.Name, "solo")}"), HttpStatusCode.OK);
        Assert.Empty(await ListAsync(Admin, $"/projects/{project.Name}/repositories"));
        await Expect.StatusAsync(await Admin.DeleteAsync($"{Api}/projects/{project.Name}"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task UnknownProjectsAndRepositoriesAreNotFoundAndMalformedNamesAreBadRequests()
    {
        var project = await ProjectAsync();
        await HarborErrorAsync(await Admin.GetAsync($"{Api}/projects/nosuch{Guid.NewGuid():N}/repositories"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborErrorAsync(await Admin.GetAsync($"{Api}{Path(project.Name, "missing")}"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborErrorAsync(await Admin.GetAsync($"{Api}{Path(project.Name, "missing")}/artifacts"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborErrorAsync(await Admin.GetAsync($"{Api}{Path(project.Name, "Upper/Case")}"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborErrorAsync(await SendAsync(Admin, HttpMethod.Put, Path(project.Name, "missing"), new { description = "x" }), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task RepositoryListsArePagedWithTotalAndLinkHeadersAndRefuseUnknownFiltersAndSorts()
    {
        var project = await ProjectAsync();
        foreach (var name in new[] { "c", "a", "b" }) await Admin.PushImageAsync($"{project.Name}/{name}", "v1");

        var first = await Admin.GetAsync($"{Api}/projects/{project.Name}/repositories?page=1&page_size=2&sort=name");
        var items = (await Expect.JsonAsync(first)).EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.Equal([$"{project.Name}/a", $"{project.Name}/b"], items);
        Assert.Equal("3", first.Header("X-Total-Count"));
        Assert.Contains("rel=\"next\"", first.Header("Link"));
        Assert.DoesNotContain("rel=\"prev\"", first.Header("Link"));

        var second = await Admin.GetAsync($"{Api}/projects/{project.Name}/repositories?page=2&page_size=2&sort=name");
        Assert.Equal([$"{project.Name}/c"], (await Expect.JsonAsync(second)).EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        Assert.Contains("rel=\"prev\"", second.Header("Link"));

        var descending = await ListAsync(Admin, $"/projects/{project.Name}/repositories?sort=-name");
        Assert.Equal($"{project.Name}/c", descending[0].GetProperty("name").GetString());
        var fuzzy = await ListAsync(Admin, $"/projects/{project.Name}/repositories?q={Uri.EscapeDataString($"name=~{project.Name}/b")}");
        Assert.Equal([$"{project.Name}/b"], fuzzy.Select(r => r.GetProperty("name").GetString()));

        foreach (var bad in new[] { "q=nonsense%3D1", "sort=-nonsense", "page_size=1000", "page=0", "q=name" })
        {
            await HarborErrorAsync(await Admin.GetAsync($"{Api}/projects/{project.Name}/repositories?{bad}"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        }
        foreach (var bad in new[] { "q=name%3Dx", "sort=name", "q=digest%3D~sha", "with_tag=maybe" })
        {
            await HarborErrorAsync(await Admin.GetAsync($"{Api}{Path(project.Name, "a")}/artifacts?{bad}"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        }
    }

    [Fact]
    public async Task AllRepositoriesAreThoseOfTheProjectsTheCallerCanSee()
    {
        var hidden = await ProjectAsync();
        var shown = await ProjectAsync(isPublic: true);
        await Admin.PushImageAsync($"{hidden.Name}/secret", "v1");
        await Admin.PushImageAsync($"{shown.Name}/open", "v1");
        var (member, _) = await UserAsync(hidden.Name, ProjectRoles.Guest);
        var (outsider, _) = await UserAsync();

        async Task<List<string?>> NamesAsync(OciClient client) =>
            (await ListAsync(client, "/repositories?page_size=100")).Select(r => r.GetProperty("name").GetString()).ToList();

        foreach (var (client, seesHidden) in new[] { (Admin, true), (member, true), (outsider, false), (Registry.Anonymous, false) })
        {
            var names = await NamesAsync(client);
            Assert.Contains($"{shown.Name}/open", names);
            Assert.Equal(seesHidden, names.Contains($"{hidden.Name}/secret"));
        }
        var open = Assert.Single(await ListAsync(Registry.Anonymous, $"/repositories?q={Uri.EscapeDataString($"name={shown.Name}/open")}"));
        Assert.Equal(shown.Id, open.GetProperty("project_id").GetInt64());
    }

    // ---- artifacts ----

    [Fact]
    public async Task ArtifactsAreListedWithTagsSizesTypesExtraAttributesAndIndexReferences()
    {
        var project = await ProjectAsync();
        var repo = $"{project.Name}/mixed";
        var image = await Admin.PushImageAsync(repo, "v1");
        await Admin.PushManifestAsync(repo, "v2", image.Body, Oci.OciManifest);
        var (index, children) = await PushIndexAsync(repo, "multi");
        var chart = await PushChartAsync(repo, "0.1.0");
        var untagged = await PushByDigestAsync(repo);

        var response = await Admin.GetAsync($"{Api}{Path(project.Name, "mixed")}/artifacts");
        var artifacts = (await Expect.JsonAsync(response)).EnumerateArray().ToList();
        Assert.Equal("4", response.Header("X-Total-Count"));
        Assert.Equal(4, artifacts.Count);
        Assert.DoesNotContain(artifacts, a => children.Any(c => c.Digest == a.GetProperty("digest").GetString()));
        Assert.Equal(untagged.Digest, artifacts[0].GetProperty("digest").GetString()); // newest first

        var img = ByDigest(artifacts, image.Manifest.Digest);
        Assert.Equal("IMAGE", img.GetProperty("type").GetString());
        Assert.Equal(Oci.OciConfig, img.GetProperty("media_type").GetString());
        Assert.Equal(Oci.OciManifest, img.GetProperty("manifest_media_type").GetString());
        Assert.Equal(project.Id, img.GetProperty("project_id").GetInt64());
        Assert.Equal(repo, img.GetProperty("repository_name").GetString());
        Assert.Equal(image.Manifest.Size + image.Config.Size + image.Layer.Size, img.GetProperty("size").GetInt64());
        Assert.True(img.TryGetProperty("push_time", out _));
        Assert.False(img.TryGetProperty("pull_time", out var pulled) && pulled.ValueKind != JsonValueKind.Null);
        var extra = img.GetProperty("extra_attrs");
        Assert.Equal("amd64", extra.GetProperty("architecture").GetString());
        Assert.Equal("linux", extra.GetProperty("os").GetString());
        Assert.Equal(JsonValueKind.Object, extra.GetProperty("config").ValueKind);
        var tags = img.GetProperty("tags").EnumerateArray().ToList();
        Assert.Equal(["v1", "v2"], tags.Select(t => t.GetProperty("name").GetString()).Order());
        Assert.All(tags, t =>
        {
            Assert.Equal(img.GetProperty("id").GetInt64(), t.GetProperty("artifact_id").GetInt64());
            Assert.Equal(img.GetProperty("repository_id").GetInt64(), t.GetProperty("repository_id").GetInt64());
            Assert.False(t.GetProperty("immutable").GetBoolean());
            Assert.True(t.TryGetProperty("push_time", out _));
        });
        Assert.False(img.TryGetProperty("references", out _));
        Assert.False(img.TryGetProperty("labels", out _));

        var idx = ByDigest(artifacts, index.Digest);
        Assert.Equal("IMAGE", idx.GetProperty("type").GetString());
        Assert.Equal(Oci.OciIndex, idx.GetProperty("media_type").GetString());
        Assert.Equal(Oci.OciIndex, idx.GetProperty("manifest_media_type").GetString());
        Assert.Equal(index.Size + children.Sum(c => c.Size), idx.GetProperty("size").GetInt64());
        var references = idx.GetProperty("references").EnumerateArray().ToList();
        Assert.Equal(2, references.Count);
        foreach (var (child, platform) in children.Zip(new[] { ("amd64", (string?)null), ("arm64", "v8") }))
        {
            var reference = Assert.Single(references, r => r.GetProperty("child_digest").GetString() == child.Digest);
            Assert.Equal(idx.GetProperty("id").GetInt64(), reference.GetProperty("parent_id").GetInt64());
            Assert.Equal(platform.Item1, reference.GetProperty("platform").GetProperty("architecture").GetString());
            Assert.Equal("linux", reference.GetProperty("platform").GetProperty("os").GetString());
            if (platform.Item2 is not null) Assert.Equal(platform.Item2, reference.GetProperty("platform").GetProperty("variant").GetString());
            var childArtifact = await JsonAsync(Admin, $"{Path(project.Name, "mixed")}/artifacts/{child.Digest}");
            Assert.Equal(childArtifact.GetProperty("id").GetInt64(), reference.GetProperty("child_id").GetInt64());
            Assert.Equal("IMAGE", childArtifact.GetProperty("type").GetString());
        }

        var helm = ByDigest(artifacts, chart.Digest);
        Assert.Equal("CHART", helm.GetProperty("type").GetString());
        Assert.Equal(HelmConfig, helm.GetProperty("media_type").GetString());
        Assert.Equal("mychart", helm.GetProperty("extra_attrs").GetProperty("name").GetString());

        Assert.Empty(ByDigest(artifacts, untagged.Digest).GetProperty("tags").EnumerateArray());

        var noTags = await ListAsync(Admin, $"{Path(project.Name, "mixed")}/artifacts?with_tag=false&with_label=true");
        Assert.All(noTags, a => Assert.False(a.TryGetProperty("tags", out _)));
        Assert.All(noTags, a => Assert.Empty(a.GetProperty("labels").EnumerateArray()));

        var byTag = await ListAsync(Admin, $"{Path(project.Name, "mixed")}/artifacts?q={Uri.EscapeDataString("tags=v2")}");
        Assert.Equal(image.Manifest.Digest, Assert.Single(byTag).GetProperty("digest").GetString());
        var untaggedOnly = await ListAsync(Admin, $"{Path(project.Name, "mixed")}/artifacts?q={Uri.EscapeDataString("tags=nil")}");
        Assert.Equal(untagged.Digest, Assert.Single(untaggedOnly).GetProperty("digest").GetString());
        var fuzzyTag = await ListAsync(Admin, $"{Path(project.Name, "mixed")}/artifacts?q={Uri.EscapeDataString("tags=~ult")}");
        Assert.Equal(index.Digest, Assert.Single(fuzzyTag).GetProperty("digest").GetString());

        var sorted = await ListAsync(Admin, $"{Path(project.Name, "mixed")}/artifacts?sort=digest");
        Assert.Equal(sorted.Select(a => a.GetProperty("digest").GetString()).Order(StringComparer.Ordinal), sorted.Select(a => a.GetProperty("digest").GetString()));
        var paged = await Admin.GetAsync($"{Api}{Path(project.Name, "mixed")}/artifacts?page_size=3&page=2");
        Assert.Single((await Expect.JsonAsync(paged)).EnumerateArray());
        Assert.Equal("4", paged.Header("X-Total-Count"));

        var repository = await JsonAsync(Admin, Path(project.Name, "mixed"));
        Assert.Equal(4, repository.GetProperty("artifact_count").GetInt64());
    }

    [Fact]
    public async Task AnArtifactIsFoundByTagAndByDigest()
    {
        var project = await ProjectAsync();
        var image = await Admin.PushImageAsync($"{project.Name}/app", "stable");
        var byTag = await JsonAsync(Admin, $"{Path(project.Name, "app")}/artifacts/stable");
        var byDigest = await JsonAsync(Admin, $"{Path(project.Name, "app")}/artifacts/{image.Manifest.Digest}");
        Assert.Equal(image.Manifest.Digest, byTag.GetProperty("digest").GetString());
        Assert.Equal(byTag.GetProperty("id").GetInt64(), byDigest.GetProperty("id").GetInt64());
        Assert.Equal("stable", Assert.Single(byDigest.GetProperty("tags").EnumerateArray()).GetProperty("name").GetString());

        await HarborErrorAsync(await Admin.GetAsync($"{Api}{Path(project.Name, "app")}/artifacts/nosuchtag"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborErrorAsync(await Admin.GetAsync($"{Api}{Path(project.Name, "app")}/artifacts/sha256:{new string('0', 64)}"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborErrorAsync(await Admin.GetAsync($"{Api}{Path(project.Name, "app")}/artifacts/sha256:short"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborErrorAsync(await Admin.GetAsync($"{Api}{Path(project.Name, "app")}/artifacts/.bad"), HttpStatusCode.BadRequest, "BAD_REQUEST");
    }

    [Fact]
    public async Task DeletingAnArtifactTakesItsTagsAccessoriesAndUnsharedChildrenButAChildAloneIsRefused()
    {
        var project = await ProjectAsync();
        var repo = $"{project.Name}/del";
        var (index, children) = await PushIndexAsync(repo, "multi");
        var image = await Admin.PushImageAsync(repo, "v1");
        var signature = await PushSignatureAsync(repo, image.Manifest);

        await HarborErrorAsync(await Admin.DeleteAsync($"{Api}{Path(project.Name, "del")}/artifacts/{children[0].Digest}"), HttpStatusCode.PreconditionFailed, "PRECONDITION");
        await Expect.StatusAsync(await Admin.DeleteAsync($"{Api}{Path(project.Name, "del")}/artifacts/multi"), HttpStatusCode.OK);
        foreach (var digest in children.Select(c => c.Digest).Append(index.Digest))
        {
            await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repo}/manifests/{digest}"), HttpStatusCode.NotFound);
        }

        await Expect.StatusAsync(await Admin.DeleteAsync($"{Api}{Path(project.Name, "del")}/artifacts/{image.Manifest.Digest}"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repo}/manifests/v1"), HttpStatusCode.NotFound);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repo}/manifests/{signature.Digest}"), HttpStatusCode.NotFound);
        await HarborErrorAsync(await Admin.DeleteAsync($"{Api}{Path(project.Name, "del")}/artifacts/{image.Manifest.Digest}"), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Contains(await AuditAsync(project.Id), a => a.Resource == $"{repo}@{image.Manifest.Digest}" && a.ResourceType == "artifact" && a.Operation == "delete");
    }

    [Fact]
    public async Task ARepositoryEmptiedArtifactByArtifactStaysUntilItIsDeletedItself()
    {
        var project = await ProjectAsync();
        await Admin.PushImageAsync($"{project.Name}/emptied", "v1");
        await Expect.StatusAsync(await Admin.DeleteAsync($"{Api}{Path(project.Name, "emptied")}/artifacts/v1"), HttpStatusCode.OK);

        Assert.Equal(0, (await JsonAsync(Admin, Path(project.Name, "emptied"))).GetProperty("artifact_count").GetInt64());
        Assert.Empty(await ListAsync(Admin, $"{Path(project.Name, "emptied")}/artifacts"));
        await HarborErrorAsync(await Admin.DeleteAsync($"{Api}/projects/{project.Name}"), HttpStatusCode.PreconditionFailed, "PRECONDITION");

        await Expect.StatusAsync(await Admin.DeleteAsync($"{Api}{Path(project.Name, "emptied")}"), HttpStatusCode.OK);
        await HarborErrorAsync(await Admin.GetAsync($"{Api}{Path(project.Name, "emptied")}"), HttpStatusCode.NotFound, "NOT_FOUND");
        await Expect.StatusAsync(await Admin.DeleteAsync($"{Api}/projects/{project.Name}"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task AccessoriesAreTheSignaturesAndOtherReferrersOfAnArtifact()
    {
        var project = await ProjectAsync();
        var repo = $"{project.Name}/signed";
        var image = await Admin.PushImageAsync(repo, "v1");
        var signature = await PushSignatureAsync(repo, image.Manifest);
        var legacy = await PushLegacyCosignSignatureAsync(repo, image.Manifest);

        var artifact = await JsonAsync(Admin, $"{Path(project.Name, "signed")}/artifacts/v1?with_accessory=true");
        var accessories = artifact.GetProperty("accessories").EnumerateArray().ToList();
        Assert.Equal(2, accessories.Count);
        foreach (var digest in new[] { signature.Digest, legacy.Digest })
        {
            var accessory = Assert.Single(accessories, a => a.GetProperty("digest").GetString() == digest);
            Assert.Equal("signature.cosign", accessory.GetProperty("type").GetString());
            Assert.Equal(image.Manifest.Digest, accessory.GetProperty("subject_artifact_digest").GetString());
            Assert.Equal(artifact.GetProperty("id").GetInt64(), accessory.GetProperty("subject_artifact_id").GetInt64());
            Assert.Equal(accessory.GetProperty("id").GetInt64(), accessory.GetProperty("artifact_id").GetInt64());
            Assert.True(accessory.GetProperty("size").GetInt64() > 0);
        }
        Assert.False((await JsonAsync(Admin, $"{Path(project.Name, "signed")}/artifacts/v1")).TryGetProperty("accessories", out _));

        var listed = await Admin.GetAsync($"{Api}{Path(project.Name, "signed")}/artifacts/v1/accessories");
        Assert.Equal(2, (await Expect.JsonAsync(listed)).GetArrayLength());
        Assert.Equal("2", listed.Header("X-Total-Count"));

        var sig = await JsonAsync(Admin, $"{Path(project.Name, "signed")}/artifacts/{signature.Digest}");
        Assert.Equal("SIGNATURE", sig.GetProperty("type").GetString());
    }

    // ---- tags ----

    [Fact]
    public async Task TagsAreCreatedRefusedWhenTakenOrInvalidListedAndDeleted()
    {
        var project = await ProjectAsync();
        var image = await Admin.PushImageAsync($"{project.Name}/tagged", "v1");
        var other = await Admin.PushImageAsync($"{project.Name}/tagged", "other");
        var tags = $"{Path(project.Name, "tagged")}/artifacts/v1/tags";

        var created = await SendAsync(Admin, HttpMethod.Post, tags, new { name = "release" });
        await Expect.StatusAsync(created, HttpStatusCode.Created);
        Assert.Contains($"/artifacts/{image.Manifest.Digest}/tags/release", created.Headers.Location!.OriginalString);
        var pulled = await Admin.GetAsync($"/v2/{project.Name}/tagged/manifests/release");
        Assert.Equal(image.Body, await pulled.Content.ReadAsByteArrayAsync());
        Assert.Contains(await AuditAsync(project.Id), a => a.Resource == $"{project.Name}/tagged:release" && a.ResourceType == "tag" && a.Operation == "create");

        await HarborErrorAsync(await SendAsync(Admin, HttpMethod.Post, tags, new { name = "release" }), HttpStatusCode.Conflict, "CONFLICT");
        await HarborErrorAsync(await SendAsync(Admin, HttpMethod.Post, tags, new { name = "other" }), HttpStatusCode.Conflict, "CONFLICT");
        Assert.Equal(other.Manifest.Digest, (await Admin.GetAsync($"/v2/{project.Name}/tagged/manifests/other")).Header("Docker-Content-Digest"));
        foreach (var invalid in new object[] { new { name = ".dot" }, new { name = new string('a', 129) }, new { name = "a/b" }, new { } })
        {
            await HarborErrorAsync(await SendAsync(Admin, HttpMethod.Post, tags, invalid), HttpStatusCode.BadRequest, "BAD_REQUEST");
        }

        var listed = await Admin.GetAsync($"{Api}{tags}?sort=name");
        Assert.Equal(["release", "v1"], (await Expect.JsonAsync(listed)).EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal("2", listed.Header("X-Total-Count"));
        var fuzzy = await ListAsync(Admin, $"{tags}?q={Uri.EscapeDataString("name=~rel")}");
        Assert.Equal("release", Assert.Single(fuzzy).GetProperty("name").GetString());

        await HarborErrorAsync(await Admin.DeleteAsync($"{Api}{tags}/other"), HttpStatusCode.NotFound, "NOT_FOUND");
        await Expect.StatusAsync(await Admin.DeleteAsync($"{Api}{tags}/release"), HttpStatusCode.OK);
        await HarborErrorAsync(await Admin.DeleteAsync($"{Api}{tags}/release"), HttpStatusCode.NotFound, "NOT_FOUND");
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{project.Name}/tagged/manifests/release"), HttpStatusCode.NotFound);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{project.Name}/tagged/manifests/{image.Manifest.Digest}"), HttpStatusCode.OK);
        Assert.Contains(await AuditAsync(project.Id), a => a.Resource == $"{project.Name}/tagged:release" && a.ResourceType == "tag" && a.Operation == "delete");
    }

    // ---- copy ----

    [Fact]
    public async Task ArtifactsAreCopiedByTagAndByDigestIntoAnotherProjectAndPullableThere()
    {
        var source = await ProjectAsync();
        var target = await ProjectAsync();
        var image = await Admin.PushImageAsync($"{source.Name}/app", "v1");
        var (index, children) = await PushIndexAsync($"{source.Name}/app", "multi");

        var byTag = await Admin.SendAsync(HttpMethod.Post, $"{Api}{Path(target.Name, "copies/app")}/artifacts?from={Uri.EscapeDataString($"{source.Name}/app:v1")}");
        await Expect.StatusAsync(byTag, HttpStatusCode.Created);
        Assert.EndsWith($"/artifacts/{image.Manifest.Digest}", byTag.Headers.Location!.OriginalString);
        var pulled = await Admin.GetAsync($"/v2/{target.Name}/copies/app/manifests/v1");
        await Expect.StatusAsync(pulled, HttpStatusCode.OK);
        Assert.Equal(image.Body, await pulled.Content.ReadAsByteArrayAsync());
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{target.Name}/copies/app/blobs/{image.Layer.Digest}"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.GetAsync(byTag.Headers.Location!.OriginalString), HttpStatusCode.OK);
        Assert.Contains(await AuditAsync(target.Id), a => a.ResourceType == "artifact" && a.Operation == "create" && a.Resource.StartsWith($"{target.Name}/copies/app"));

        var byDigest = await Admin.SendAsync(HttpMethod.Post, $"{Api}{Path(target.Name, "digest")}/artifacts?from={source.Name}/app@{index.Digest}");
        await Expect.StatusAsync(byDigest, HttpStatusCode.Created);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{target.Name}/digest/manifests/{index.Digest}"), HttpStatusCode.OK);
        foreach (var child in children) await Expect.StatusAsync(await Admin.GetAsync($"/v2/{target.Name}/digest/manifests/{child.Digest}"), HttpStatusCode.OK);
        var copied = await JsonAsync(Admin, $"{Path(target.Name, "digest")}/artifacts/{index.Digest}");
        Assert.Empty(copied.GetProperty("tags").EnumerateArray());
        Assert.Equal(2, copied.GetProperty("references").GetArrayLength());
        Assert.Equal(target.Id, copied.GetProperty("project_id").GetInt64());

        // Copying again is harmless.
        await Expect.StatusAsync(await Admin.SendAsync(HttpMethod.Post, $"{Api}{Path(target.Name, "digest")}/artifacts?from={source.Name}/app@{index.Digest}"), HttpStatusCode.Created);

        foreach (var (from, status) in new[]
        {
            ($"{source.Name}/app:nosuchtag", HttpStatusCode.NotFound),
            ($"{source.Name}/nosuchrepo@{image.Manifest.Digest}", HttpStatusCode.NotFound),
            ($"nosuchproject{Guid.NewGuid():N}/app:v1", HttpStatusCode.NotFound),
            ($"{source.Name}/app", HttpStatusCode.BadRequest),
            ($"{source.Name}/app@sha256:short", HttpStatusCode.BadRequest),
            ("", HttpStatusCode.BadRequest),
        })
        {
            var response = await Admin.SendAsync(HttpMethod.Post, $"{Api}{Path(target.Name, "bad")}/artifacts?from={Uri.EscapeDataString(from)}");
            await Expect.StatusAsync(response, status);
        }
    }

    [Fact]
    public async Task CopyingNeedsPullOnTheSourceAndPushOnTheTargetAndNeverRevealsAPrivateSource()
    {
        var source = await ProjectAsync();
        var target = await ProjectAsync();
        await Admin.PushImageAsync($"{source.Name}/app", "v1");
        var (developer, developerUser) = await UserAsync(target.Name, ProjectRoles.Developer);
        var (guest, _) = await UserAsync(target.Name, ProjectRoles.Guest);
        var copy = $"{Api}{Path(target.Name, "app")}/artifacts?from={source.Name}/app:v1";

        var hidden = await developer.SendAsync(HttpMethod.Post, copy);
        var missing = await developer.SendAsync(HttpMethod.Post, $"{Api}{Path(target.Name, "app")}/artifacts?from={source.Name}/app:nosuchtag");
        await HarborErrorAsync(hidden, HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborErrorAsync(missing, HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborErrorAsync(await guest.SendAsync(HttpMethod.Post, copy), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborErrorAsync(await Registry.Anonymous.SendAsync(HttpMethod.Post, copy), HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        await AddMemberAsync(source.Name, developerUser.Id, ProjectRoles.LimitedGuest);
        await Expect.StatusAsync(await developer.SendAsync(HttpMethod.Post, copy), HttpStatusCode.Created);
    }

    // ---- permissions ----

    [Fact]
    public async Task RolesDecideWhoMayDescribeTagAndDelete()
    {
        var project = await ProjectAsync();
        var image = await Admin.PushImageAsync($"{project.Name}/app", "v1");
        var (guest, _) = await UserAsync(project.Name, ProjectRoles.Guest);
        var (developer, _) = await UserAsync(project.Name, ProjectRoles.Developer);
        var (maintainer, _) = await UserAsync(project.Name, ProjectRoles.Maintainer);
        var repository = Path(project.Name, "app");
        var artifact = $"{repository}/artifacts/{image.Manifest.Digest}";

        Assert.Single(await ListAsync(guest, $"/projects/{project.Name}/repositories"));
        Assert.Single(await ListAsync(guest, $"{repository}/artifacts"));
        await HarborErrorAsync(await SendAsync(guest, HttpMethod.Put, repository, new { description = "no" }), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborErrorAsync(await SendAsync(guest, HttpMethod.Post, $"{artifact}/tags", new { name = "guest" }), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborErrorAsync(await guest.DeleteAsync($"{Api}{artifact}/tags/v1"), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborErrorAsync(await guest.DeleteAsync($"{Api}{artifact}"), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborErrorAsync(await guest.DeleteAsync($"{Api}{repository}"), HttpStatusCode.Forbidden, "FORBIDDEN");

        await Expect.StatusAsync(await SendAsync(developer, HttpMethod.Put, repository, new { description = "by a developer" }), HttpStatusCode.OK);
        await Expect.StatusAsync(await SendAsync(developer, HttpMethod.Post, $"{artifact}/tags", new { name = "dev" }), HttpStatusCode.Created);
        await HarborErrorAsync(await developer.DeleteAsync($"{Api}{artifact}/tags/dev"), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborErrorAsync(await developer.DeleteAsync($"{Api}{artifact}"), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborErrorAsync(await developer.DeleteAsync($"{Api}{repository}"), HttpStatusCode.Forbidden, "FORBIDDEN");

        await Expect.StatusAsync(await maintainer.DeleteAsync($"{Api}{artifact}/tags/dev"), HttpStatusCode.OK);
        await Expect.StatusAsync(await maintainer.DeleteAsync($"{Api}{repository}"), HttpStatusCode.OK);
        Assert.Empty(await ListAsync(guest, $"/projects/{project.Name}/repositories"));
    }

    [Fact]
    public async Task AnonymousCallersReadPublicProjectsOnlyAndOutsidersNoPrivateOnes()
    {
        var open = await ProjectAsync(isPublic: true);
        var closed = await ProjectAsync();
        await Admin.PushImageAsync($"{open.Name}/app", "v1");
        await Admin.PushImageAsync($"{closed.Name}/app", "v1");
        var (outsider, _) = await UserAsync();
        var anonymous = Registry.Anonymous;

        Assert.Single(await ListAsync(anonymous, $"/projects/{open.Name}/repositories"));
        Assert.Single(await ListAsync(anonymous, $"{Path(open.Name, "app")}/artifacts"));
        await Expect.StatusAsync(await anonymous.GetAsync($"{Api}{Path(open.Name, "app")}/artifacts/v1/tags"), HttpStatusCode.OK);
        await HarborErrorAsync(await SendAsync(anonymous, HttpMethod.Put, Path(open.Name, "app"), new { description = "x" }), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HarborErrorAsync(await anonymous.DeleteAsync($"{Api}{Path(open.Name, "app")}"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HarborErrorAsync(await SendAsync(anonymous, HttpMethod.Post, $"{Path(open.Name, "app")}/artifacts/v1/tags", new { name = "anon" }), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HarborErrorAsync(await SendAsync(outsider, HttpMethod.Put, Path(open.Name, "app"), new { description = "x" }), HttpStatusCode.Forbidden, "FORBIDDEN");

        foreach (var path in new[] { $"/projects/{closed.Name}/repositories", Path(closed.Name, "app"), $"{Path(closed.Name, "app")}/artifacts", $"{Path(closed.Name, "app")}/artifacts/v1" })
        {
            await HarborErrorAsync(await anonymous.GetAsync(Api + path), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            // To a signed-in outsider a private project is not there at all, as a missing one.
            await HarborErrorAsync(await outsider.GetAsync(Api + path), HttpStatusCode.NotFound, "NOT_FOUND");
        }
        await HarborErrorAsync(await outsider.DeleteAsync($"{Api}{Path(closed.Name, "app")}"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborErrorAsync(await outsider.SendAsync(HttpMethod.Post, $"{Api}{Path(closed.Name, "app")}/artifacts?from={open.Name}/app:v1"), HttpStatusCode.NotFound, "NOT_FOUND");
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{closed.Name}/app/manifests/v1"), HttpStatusCode.OK);
    }

    // ---- search, statistics, pulls ----

    [Fact]
    public async Task SearchFindsProjectsAndRepositoriesTheCallerCanSee()
    {
        var marker = "srch" + Guid.NewGuid().ToString("N")[..8];
        var closed = await ProjectAsync(prefix: marker);
        var open = await ProjectAsync(isPublic: true, prefix: marker);
        await Admin.PushImageAsync($"{closed.Name}/{marker}-app", "v1");
        await Admin.PushImageAsync($"{open.Name}/{marker}-app", "v1");
        var (member, _) = await UserAsync(closed.Name, ProjectRoles.Guest);

        var all = await JsonAsync(Admin, $"/search?q={marker}");
        Assert.Equal(new[] { closed.Name, open.Name }.Order(StringComparer.Ordinal),
            all.GetProperty("project").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        var repositories = all.GetProperty("repository").EnumerateArray().ToList();
        Assert.Equal(2, repositories.Count);
        var found = Assert.Single(repositories, r => r.GetProperty("project_name").GetString() == open.Name);
        Assert.Equal($"{open.Name}/{marker}-app", found.GetProperty("repository_name").GetString());
        Assert.Equal(open.Id, found.GetProperty("project_id").GetInt64());
        Assert.True(found.GetProperty("project_public").GetBoolean());
        Assert.Equal(1, found.GetProperty("artifact_count").GetInt64());

        foreach (var (client, count) in new[] { (Registry.Anonymous, 1), (member, 2) })
        {
            var result = await JsonAsync(client, $"/search?q={marker}");
            Assert.Equal(count, result.GetProperty("project").GetArrayLength());
            Assert.Equal(count, result.GetProperty("repository").GetArrayLength());
        }
        var anonymous = await JsonAsync(Registry.Anonymous, $"/search?q={marker}");
        Assert.DoesNotContain(closed.Name, anonymous.ToString());
        await HarborErrorAsync(await Admin.GetAsync($"{Api}/search"), HttpStatusCode.BadRequest, "BAD_REQUEST");
    }

    [Fact]
    public async Task StatisticsCountWhatTheCallerMaySeeAndTotalsOnlyForAdmins()
    {
        var closed = await ProjectAsync();
        await Admin.PushImageAsync($"{closed.Name}/app", "v1");
        var (member, _) = await UserAsync(closed.Name, ProjectRoles.Guest);
        var (outsider, _) = await UserAsync();

        var admin = await JsonAsync(Admin, "/statistics");
        Assert.True(admin.GetProperty("private_project_count").GetInt64() >= 1);
        Assert.True(admin.GetProperty("private_repo_count").GetInt64() >= 1);
        Assert.True(admin.GetProperty("public_project_count").GetInt64() >= 1); // library
        Assert.Equal(admin.GetProperty("private_project_count").GetInt64() + admin.GetProperty("public_project_count").GetInt64(),
            admin.GetProperty("total_project_count").GetInt64());
        Assert.Equal(admin.GetProperty("private_repo_count").GetInt64() + admin.GetProperty("public_repo_count").GetInt64(),
            admin.GetProperty("total_repo_count").GetInt64());
        Assert.True(admin.GetProperty("total_storage_consumption").GetInt64() > 0);

        var mine = await JsonAsync(member, "/statistics");
        Assert.Equal(1, mine.GetProperty("private_project_count").GetInt64());
        Assert.Equal(1, mine.GetProperty("private_repo_count").GetInt64());
        Assert.Equal(0, mine.GetProperty("total_project_count").GetInt64());
        Assert.Equal(0, mine.GetProperty("total_storage_consumption").GetInt64());
        var theirs = await JsonAsync(outsider, "/statistics");
        Assert.Equal(0, theirs.GetProperty("private_project_count").GetInt64());
        Assert.Equal(admin.GetProperty("public_project_count").GetInt64(), theirs.GetProperty("public_project_count").GetInt64());
        await HarborErrorAsync(await Registry.Anonymous.GetAsync($"{Api}/statistics"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task PullsOfManifestsAreCountedAndTimedAfterAFlushButHeadsAreNot()
    {
        var project = await ProjectAsync();
        var image = await Admin.PushImageAsync($"{project.Name}/pulled", "v1");
        var recorder = Services.GetRequiredService<PullRecorder>();
        await recorder.FlushAsync();

        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{project.Name}/pulled/manifests/v1"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{project.Name}/pulled/manifests/v1"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{project.Name}/pulled/manifests/{image.Manifest.Digest}"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.HeadAsync($"/v2/{project.Name}/pulled/manifests/v1"), HttpStatusCode.OK);
        // A preview (the portal showing the manifest) is not a pull either.
        await Expect.StatusAsync(await Admin.SendAsync(HttpMethod.Get, $"/v2/{project.Name}/pulled/manifests/v1", configure: r => r.Headers.Add("X-Registry-Preview", "1")), HttpStatusCode.OK);
        await recorder.FlushAsync();
        Assert.Equal(0, recorder.PendingKeys);

        var repository = await JsonAsync(Admin, Path(project.Name, "pulled"));
        Assert.Equal(3, repository.GetProperty("pull_count").GetInt64());
        var artifact = await JsonAsync(Admin, $"{Path(project.Name, "pulled")}/artifacts/v1");
        Assert.True(artifact.GetProperty("pull_time").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        var tag = Assert.Single(artifact.GetProperty("tags").EnumerateArray());
        Assert.True(tag.GetProperty("pull_time").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));

        var sorted = await ListAsync(Admin, $"/projects/{project.Name}/repositories?sort=-pull_count");
        Assert.Equal($"{project.Name}/pulled", sorted[0].GetProperty("name").GetString());
    }

    // ---- helpers ----

    private sealed record Project(string Name, long Id);

    private static string Path(string project, string repository) =>
        $"/projects/{project}/repositories/{Uri.EscapeDataString(Uri.EscapeDataString(repository))}";

    private async Task<Project> ProjectAsync(bool isPublic = false, string prefix = "repo")
    {
        var name = prefix + Guid.NewGuid().ToString("N")[..10];
        var response = await SendAsync(Admin, HttpMethod.Post, "/projects", new { project_name = name, metadata = new { @public = isPublic ? "true" : "false" } });
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        var record = await Services.GetRequiredService<IIdentityStore>().GetProjectAsync(name);
        return new Project(name, record!.Id);
    }

    /// <summary>A user, made a member of <paramref name="project"/> with <paramref name="role"/> when given, and a client signed in as them.</summary>
    private async Task<(OciClient Client, UserRecord User)> UserAsync(string? project = null, int role = ProjectRoles.Guest)
    {
        var name = "u" + Guid.NewGuid().ToString("N")[..12];
        var password = "Pw1-" + Guid.NewGuid().ToString("N");
        var user = await Services.GetRequiredService<IIdentityStore>().CreateUserAsync(
            new NewUser(name, PasswordHasher.Hash(password), false, $"{name}@example.org", name, ""));
        Assert.NotNull(user);
        if (project is not null) await AddMemberAsync(project, user.Id, role);
        return (Registry.WithBasic(name, password), user);
    }

    private async Task AddMemberAsync(string project, long userId, int role)
    {
        var store = Services.GetRequiredService<IIdentityStore>();
        var record = await store.GetProjectAsync(project);
        Assert.NotNull(await store.AddMemberAsync(record!.Id, userId, role));
        await Services.GetRequiredService<IGrainFactory>().GetGrain<IProjectGrain>(project).RefreshAsync();
    }

    private async Task<IReadOnlyList<AuditRecord>> AuditAsync(long projectId) =>
        (await Services.GetRequiredService<IIdentityStore>().ListAuditAsync(new ListQuery(0, 100, []), projectId)).Items;

    private static Task<HttpResponseMessage> SendAsync(OciClient client, HttpMethod method, string path, object body) =>
        client.SendAsync(method, Api + path, JsonContent.Create(body));

    private static async Task<JsonElement> JsonAsync(OciClient client, string path) => await Expect.JsonAsync(await client.GetAsync(Api + path));

    private static async Task<List<JsonElement>> ListAsync(OciClient client, string path)
    {
        var json = await JsonAsync(client, path);
        Assert.Equal(JsonValueKind.Array, json.ValueKind);
        return [.. json.EnumerateArray()];
    }

    private static JsonElement ByDigest(IEnumerable<JsonElement> artifacts, string digest) =>
        Assert.Single(artifacts, a => a.GetProperty("digest").GetString() == digest);

    /// <summary>Harbor's error shape with the status and code.</summary>
    private static async Task HarborErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        await Expect.StatusAsync(response, status);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = Assert.Single(document.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    /// <summary>An image pushed by digest only (no tag).</summary>
    private async Task<Descriptor> PushByDigestAsync(string repository)
    {
        var config = await Admin.PushBlobAsync(repository, Oci.Config(), Oci.OciConfig);
        var layer = await Admin.PushBlobAsync(repository, Oci.RandomBytes(), Oci.OciLayer);
        var body = Oci.Manifest(config, [layer]);
        return await Admin.PushManifestAsync(repository, Oci.Digest(body), body, Oci.OciManifest);
    }

    /// <summary>An index tagged <paramref name="tag"/> over a linux/amd64 and a linux/arm64/v8 image pushed by digest; the children's sizes include their blobs.</summary>
    private async Task<(Descriptor Index, IReadOnlyList<Descriptor> Children)> PushIndexAsync(string repository, string tag)
    {
        var children = new List<Descriptor>();
        var entries = new List<JsonObject>();
        foreach (var (architecture, variant) in new[] { ("amd64", (string?)null), ("arm64", "v8") })
        {
            var config = await Admin.PushBlobAsync(repository, Oci.Config(), Oci.OciConfig);
            var layer = await Admin.PushBlobAsync(repository, Oci.RandomBytes(), Oci.OciLayer);
            var body = Oci.Manifest(config, [layer]);
            var manifest = await Admin.PushManifestAsync(repository, Oci.Digest(body), body, Oci.OciManifest);
            children.Add(manifest with { Size = manifest.Size + config.Size + layer.Size });
            var entry = manifest.ToJson("linux", architecture);
            if (variant is not null) entry["platform"]!["variant"] = variant;
            entries.Add(entry);
        }
        var index = Oci.Index(entries);
        var descriptor = await Admin.PushManifestAsync(repository, tag, index, Oci.OciIndex);
        return (descriptor, children);
    }

    private async Task<Descriptor> PushChartAsync(string repository, string tag)
    {
        var config = await Admin.PushBlobAsync(repository, Encoding.UTF8.GetBytes("""{"name":"mychart","version":"0.1.0","apiVersion":"v2","description":"a chart"}"""), HelmConfig);
        var content = await Admin.PushBlobAsync(repository, Oci.RandomBytes(), HelmContent);
        var body = Oci.Manifest(config, [content]);
        return await Admin.PushManifestAsync(repository, tag, body, Oci.OciManifest);
    }

    /// <summary>A cosign signature attached through <c>subject</c>, pushed by digest.</summary>
    private async Task<Descriptor> PushSignatureAsync(string repository, Descriptor subject)
    {
        var config = await Admin.PushBlobAsync(repository, "{}"u8.ToArray(), Oci.OciEmpty);
        var payload = await Admin.PushBlobAsync(repository, Oci.RandomBytes(), CosignSimpleSigning);
        var body = Oci.Manifest(config, [payload], artifactType: CosignSignature, subject: subject);
        return await Admin.PushManifestAsync(repository, Oci.Digest(body), body, Oci.OciManifest);
    }

    /// <summary>A cosign signature as older clients push it: tagged <c>sha256-&lt;hex&gt;.sig</c>, no subject.</summary>
    private async Task<Descriptor> PushLegacyCosignSignatureAsync(string repository, Descriptor subject)
    {
        var config = await Admin.PushBlobAsync(repository, Oci.Config(), Oci.OciConfig);
        var payload = await Admin.PushBlobAsync(repository, Oci.RandomBytes(), CosignSimpleSigning);
        var body = Oci.Manifest(config, [payload]);
        return await Admin.PushManifestAsync(repository, subject.Digest.Replace(':', '-') + ".sig", body, Oci.OciManifest);
    }
}
