using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Api.Tests;

/// <summary>A clock the recycle bin tests move forward by hand (the bin's expiry, the sweeper).</summary>
public sealed class BinClock : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>The registry for <see cref="RecycleBinApiTests"/>, on a clock the tests move.</summary>
public sealed class RecycleBinFixture : ClockedRegistryFixture<BinClock>;

/// <summary>
/// The recycle bin: artifacts deleted by digest (OCI, artifact and repository deletes) are listed
/// with who deleted them and when, restored with their tags so that a pull works again, purged one
/// by one or all at once, and purged by the sweeper when they expire; only the project's
/// maintainers see and restore them, only its admins purge.
/// </summary>
public sealed class RecycleBinApiTests(RecycleBinFixture fixture) : IClassFixture<RecycleBinFixture>
{
    private RegistryFactory Registry => fixture.Registry;
    private OciClient Admin => Registry.Admin;
    private HarborApi Api => Registry.AdminApi;

    [Fact]
    public async Task AnOciDeleteGoesToTheBinWithWhoAndWhenAndARestoreBringsBackTheSameDigestAndTags()
    {
        var project = await ProjectAsync();
        var repository = $"{project}/app";
        var image = await Admin.PushImageAsync(repository, "v1");
        await Admin.PushManifestAsync(repository, "v2", image.Body, image.Manifest.MediaType);
        var deletedAt = fixture.Clock.GetUtcNow();

        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{repository}/manifests/{image.Manifest.Digest}"), HttpStatusCode.Accepted);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repository}/manifests/v1"), HttpStatusCode.NotFound);

        var response = await Api.GetAsync($"/projects/{project}/recyclebin");
        var entries = (await Expect.JsonAsync(response)).EnumerateArray().ToList();
        Assert.Equal("1", response.Header("X-Total-Count"));
        var entry = Assert.Single(entries);
        Assert.Equal(repository, entry.GetProperty("repository_name").GetString());
        Assert.Equal(image.Manifest.Digest, entry.GetProperty("digest").GetString());
        Assert.Equal(image.Manifest.MediaType, entry.GetProperty("media_type").GetString());
        Assert.Equal(image.Body.Length, entry.GetProperty("size").GetInt64());
        Assert.Equal(["v1", "v2"], entry.Strings("tags"));
        Assert.Equal(RegistryFactory.AdminUser, entry.GetProperty("deleted_by").GetString());
        var deletion = entry.GetProperty("deletion_time").GetDateTimeOffset();
        Assert.True(Math.Abs((deletion - deletedAt).TotalSeconds) < 1);
        Assert.Equal(deletion.AddDays(7), entry.GetProperty("expiration_time").GetDateTimeOffset());
        Assert.True(entry.GetProperty("project_id").GetInt64() > 0);

        var id = entry.GetProperty("id").GetInt64();
        await Expect.StatusAsync(await Api.PostAsync($"/projects/{project}/recyclebin/{id}/restore", null), HttpStatusCode.OK);
        foreach (var tag in new[] { "v1", "v2", image.Manifest.Digest })
        {
            var pulled = await Admin.GetAsync($"/v2/{repository}/manifests/{tag}", image.Manifest.MediaType);
            await Expect.StatusAsync(pulled, HttpStatusCode.OK);
            Assert.Equal(image.Body, await pulled.Content.ReadAsByteArrayAsync());
        }
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repository}/blobs/{image.Layer.Digest}"), HttpStatusCode.OK);
        Assert.Empty((await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray());
        await HarborExpect.ErrorAsync(await Api.PostAsync($"/projects/{project}/recyclebin/{id}/restore", null), HttpStatusCode.NotFound, "NOT_FOUND");

        var audit = await Api.JsonAsync($"/projects/{project}/logs?q=operation%3Drestore");
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("resource").GetString() == $"{repository}@{image.Manifest.Digest}");
    }

    [Fact]
    public async Task ADeletedRepositoryComesBackArtifactByArtifactWithItsBlobsLinkedAgain()
    {
        var project = await ProjectAsync();
        var repository = $"{project}/whole";
        var first = await Admin.PushImageAsync(repository, "one");
        var second = await Admin.PushImageAsync(repository, "two");

        await Expect.StatusAsync(await Api.DeleteAsync($"/projects/{project}/repositories/whole"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repository}/blobs/{first.Layer.Digest}"), HttpStatusCode.NotFound);
        var entries = (await Api.JsonAsync($"/projects/{project}/recyclebin?sort=digest")).EnumerateArray().ToList();
        Assert.Equal(new[] { first.Manifest.Digest, second.Manifest.Digest }.Order(StringComparer.Ordinal), entries.Select(e => e.GetProperty("digest").GetString()));

        var one = entries.Single(e => e.GetProperty("digest").GetString() == first.Manifest.Digest).GetProperty("id").GetInt64();
        await Expect.StatusAsync(await Api.PostAsync($"/projects/{project}/recyclebin/{one}/restore", null), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repository}/manifests/one", first.Manifest.MediaType), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repository}/blobs/{first.Layer.Digest}"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repository}/blobs/{first.Config.Digest}"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repository}/manifests/two"), HttpStatusCode.NotFound);
        var artifacts = await Api.JsonAsync($"/projects/{project}/repositories/whole/artifacts");
        Assert.Equal(first.Manifest.Digest, Assert.Single(artifacts.EnumerateArray()).GetProperty("digest").GetString());
    }

    [Fact]
    public async Task AnIndexGoesToTheBinWithItsUnsharedChildrenAndAccessoriesAndComesBackWhole()
    {
        var project = await ProjectAsync();
        var repository = $"{project}/multi";
        var amd = await Admin.PushImageAsync(repository, "amd64-only");
        var arm = await Admin.PushImageAsync(repository, "arm64-only");
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{repository}/manifests/amd64-only"), HttpStatusCode.Accepted);
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{repository}/manifests/arm64-only"), HttpStatusCode.Accepted);
        var index = Oci.Index([amd.Manifest.ToJson("linux", "amd64"), arm.Manifest.ToJson("linux", "arm64")]);
        var indexDescriptor = await Admin.PushManifestAsync(repository, "latest", index, Oci.OciIndex);
        var signature = await Admin.PushImageAsync(repository, "sig", subject: indexDescriptor, artifactType: "application/vnd.example.sig");
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{repository}/manifests/sig"), HttpStatusCode.Accepted);

        await Expect.StatusAsync(await Api.DeleteAsync($"/projects/{project}/repositories/multi/artifacts/latest"), HttpStatusCode.OK);
        foreach (var gone in new[] { indexDescriptor.Digest, amd.Manifest.Digest, arm.Manifest.Digest, signature.Manifest.Digest })
            await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repository}/manifests/{gone}"), HttpStatusCode.NotFound);
        var entry = Assert.Single((await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray());
        Assert.Equal(indexDescriptor.Digest, entry.GetProperty("digest").GetString());
        Assert.Equal(["latest"], entry.Strings("tags"));

        await Expect.StatusAsync(await Api.PostAsync($"/projects/{project}/recyclebin/{entry.GetProperty("id").GetInt64()}/restore", null), HttpStatusCode.OK);
        foreach (var back in new[] { indexDescriptor.Digest, amd.Manifest.Digest, arm.Manifest.Digest, signature.Manifest.Digest, "latest" })
            await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repository}/manifests/{back}", Oci.OciIndex, Oci.OciManifest), HttpStatusCode.OK);
        var referrers = await Expect.JsonAsync(await Admin.GetAsync($"/v2/{repository}/referrers/{indexDescriptor.Digest}"));
        Assert.Equal(signature.Manifest.Digest, Assert.Single(referrers.GetProperty("manifests").EnumerateArray()).GetProperty("digest").GetString());
    }

    [Fact]
    public async Task ARestoreIsRefusedWhenATagItHeldNowNamesAnotherArtifact()
    {
        var project = await ProjectAsync();
        var repository = $"{project}/moved";
        var old = await Admin.PushImageAsync(repository, "v1");
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{repository}/manifests/{old.Manifest.Digest}"), HttpStatusCode.Accepted);
        var replacement = await Admin.PushImageAsync(repository, "v1");
        var id = Assert.Single((await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray()).GetProperty("id").GetInt64();

        var message = await HarborExpect.ErrorAsync(await Api.PostAsync($"/projects/{project}/recyclebin/{id}/restore", null), HttpStatusCode.Conflict, "CONFLICT");
        Assert.Contains("v1", message);
        var current = await Admin.GetAsync($"/v2/{repository}/manifests/v1", replacement.Manifest.MediaType);
        Assert.Equal(replacement.Manifest.Digest, current.Header("Docker-Content-Digest"));

        // Once the tag is gone, the restore goes through.
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{repository}/manifests/v1"), HttpStatusCode.Accepted);
        await Expect.StatusAsync(await Api.PostAsync($"/projects/{project}/recyclebin/{id}/restore", null), HttpStatusCode.OK);
        current = await Admin.GetAsync($"/v2/{repository}/manifests/v1", old.Manifest.MediaType);
        Assert.Equal(old.Manifest.Digest, current.Header("Docker-Content-Digest"));
    }

    [Fact]
    public async Task EntriesArePurgedOneByOneOrAllAtOnceAndAnotherProjectsIdIsNotFound()
    {
        var project = await ProjectAsync();
        var other = await ProjectAsync();
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var image = await Admin.PushImageAsync($"{project}/p", $"t{i}");
            await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{project}/p/manifests/{image.Manifest.Digest}"), HttpStatusCode.Accepted);
        }
        var page = await Api.GetAsync($"/projects/{project}/recyclebin?page=1&page_size=2");
        Assert.Equal("3", page.Header("X-Total-Count"));
        Assert.Equal(2, (await Expect.JsonAsync(page)).GetArrayLength());
        ids.AddRange((await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));

        await HarborExpect.ErrorAsync(await Api.PostAsync($"/projects/{other}/recyclebin/{ids[0]}/restore", null), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborExpect.ErrorAsync(await Api.DeleteAsync($"/projects/{other}/recyclebin/{ids[0]}"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborExpect.ErrorAsync(await Api.GetAsync($"/projects/{project}/recyclebin?sort=nope"), HttpStatusCode.BadRequest, "BAD_REQUEST");

        await Expect.StatusAsync(await Api.DeleteAsync($"/projects/{project}/recyclebin/{ids[0]}"), HttpStatusCode.OK);
        Assert.Equal(ids.Skip(1), (await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
        await Expect.StatusAsync(await Api.DeleteAsync($"/projects/{project}/recyclebin"), HttpStatusCode.OK);
        Assert.Empty((await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray());
    }

    [Fact]
    public async Task MaintainersListAndRestoreOnlyProjectAdminsPurgeAndOthersSeeNothing()
    {
        var project = await ProjectAsync();
        var image = await Admin.PushImageAsync($"{project}/roles", "v1");
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{project}/roles/manifests/{image.Manifest.Digest}"), HttpStatusCode.Accepted);
        var id = Assert.Single((await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray()).GetProperty("id").GetInt64();

        async Task<HarborApi> MemberAsync(int? role)
        {
            var name = "bin" + Guid.NewGuid().ToString("N")[..10];
            var (_, password) = await Api.CreateUserAsync(name);
            if (role is { } r) await Api.AddMemberAsync(project, name, r);
            return Registry.Api(name, password);
        }

        var developer = await MemberAsync(ProjectRoles.Developer);
        await HarborExpect.ErrorAsync(await developer.GetAsync($"/projects/{project}/recyclebin"), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborExpect.ErrorAsync(await developer.PostAsync($"/projects/{project}/recyclebin/{id}/restore", null), HttpStatusCode.Forbidden, "FORBIDDEN");
        var stranger = await MemberAsync(null);
        await HarborExpect.ErrorAsync(await stranger.GetAsync($"/projects/{project}/recyclebin"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborExpect.ErrorAsync(await Registry.AnonymousApi.GetAsync($"/projects/{project}/recyclebin"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        var maintainer = await MemberAsync(ProjectRoles.Maintainer);
        Assert.Single((await maintainer.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray());
        await HarborExpect.ErrorAsync(await maintainer.DeleteAsync($"/projects/{project}/recyclebin/{id}"), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborExpect.ErrorAsync(await maintainer.DeleteAsync($"/projects/{project}/recyclebin"), HttpStatusCode.Forbidden, "FORBIDDEN");
        await Expect.StatusAsync(await maintainer.PostAsync($"/projects/{project}/recyclebin/{id}/restore", null), HttpStatusCode.OK);

        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{project}/roles/manifests/{image.Manifest.Digest}"), HttpStatusCode.Accepted);
        var projectAdmin = await MemberAsync(ProjectRoles.ProjectAdmin);
        await Expect.StatusAsync(await projectAdmin.DeleteAsync($"/projects/{project}/recyclebin"), HttpStatusCode.OK);
        Assert.Empty((await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray());
    }

    [Fact]
    public async Task EntriesExpireAfterTheConfiguredDaysAndTheSweeperPurgesThem()
    {
        var project = await ProjectAsync();
        var configurations = await Api.JsonAsync("/configurations");
        Assert.Equal(7, configurations.GetProperty("recycle_bin_retention_days").GetProperty("value").GetInt32());
        await HarborExpect.ErrorAsync(await Api.PutAsync("/configurations", new { recycle_bin_retention_days = -1 }), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await Expect.StatusAsync(await Api.PutAsync("/configurations", new { recycle_bin_retention_days = 2 }), HttpStatusCode.OK);
        try
        {
            var image = await Admin.PushImageAsync($"{project}/old", "v1");
            await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{project}/old/manifests/{image.Manifest.Digest}"), HttpStatusCode.Accepted);
            var entry = Assert.Single((await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray());
            Assert.Equal(TimeSpan.FromDays(2), entry.GetProperty("expiration_time").GetDateTimeOffset() - entry.GetProperty("deletion_time").GetDateTimeOffset());

            var sweeper = Registry.Services.GetRequiredService<IGrainFactory>().GetGrain<IRecycleBinSweeperGrain>(IRecycleBinSweeperGrain.Key);
            fixture.Clock.Advance(TimeSpan.FromDays(1));
            await sweeper.PurgeExpiredAsync();
            Assert.Single((await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray());
            fixture.Clock.Advance(TimeSpan.FromDays(1));
            Assert.True(await sweeper.PurgeExpiredAsync() >= 1);
            Assert.Empty((await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray());

            // 0 days: deletions skip the bin.
            await Expect.StatusAsync(await Api.PutAsync("/configurations", new { recycle_bin_retention_days = 0 }), HttpStatusCode.OK);
            var direct = await Admin.PushImageAsync($"{project}/old", "v2");
            await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{project}/old/manifests/{direct.Manifest.Digest}"), HttpStatusCode.Accepted);
            Assert.Empty((await Api.JsonAsync($"/projects/{project}/recyclebin")).EnumerateArray());
        }
        finally
        {
            await Expect.StatusAsync(await Api.PutAsync("/configurations", new { recycle_bin_retention_days = 7 }), HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task DeletingAProjectPurgesWhatItsRepositoriesLeftInTheBin()
    {
        var project = await ProjectAsync();
        await Admin.PushImageAsync($"{project}/left", "v1");
        await Expect.StatusAsync(await Api.DeleteAsync($"/projects/{project}/repositories/left"), HttpStatusCode.OK);
        var id = (await Registry.Services.GetRequiredService<IIdentityStore>().GetProjectAsync(project))!.Id;
        var bin = Registry.Services.GetRequiredService<IRecycleBinStore>();
        Assert.Equal(1, (await bin.ListAsync(id, ListQuery.All)).Total);

        await Expect.StatusAsync(await Api.DeleteAsync($"/projects/{project}"), HttpStatusCode.OK);
        Assert.Equal(0, (await bin.ListAsync(id, ListQuery.All)).Total);
    }

    private async Task<string> ProjectAsync()
    {
        var name = "bin" + Guid.NewGuid().ToString("N")[..10];
        await Api.CreateProjectAsync(name);
        return name;
    }
}
