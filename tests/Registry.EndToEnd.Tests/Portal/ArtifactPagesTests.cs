using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests.Portal;

/// <summary>
/// The repository page (<c>/projects/{project}/repositories/{name}</c>) and the artifact page
/// (<c>/projects/{project}/artifacts/{digest}?repository={name}</c>) against images pushed by skopeo
/// and raw OCI pushes: what they show, tagging, deleting, and what a guest may not do.
/// </summary>
public sealed class ArtifactPagesTests(ITestOutputHelper output) : PortalTest(output), IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly TempDirectory _scratch = new("portal-artifacts");

    private ToolRunner Tools => new(Output, () => Site.Registry.Tail());

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task AnImagePushedWithSkopeoIsListedWithItsConfigLayersAndHistoryAndCanBeTaggedUntaggedAndDeleted()
    {
        using var admin = Site.AdminApi();
        await PortalSite.CreateAsync(admin, "/projects", new { project_name = "team", metadata = new { @public = "false" } });
        var payload = SyntheticImage.RandomBytes(new Random(7), 300 * 1024);
        var image = await new OciLayoutBuilder(Tools, _scratch.Path)
            .WithFile("/app/run", Encoding.UTF8.GetBytes("#!/bin/sh\necho hello\n"))
            .WithFile("/app/payload.bin", payload)
            .WithEntrypoint("/app/run", "--serve")
            .WithEnv("E2E=portal")
            .WithEnv("GREETING=hello world")
            .BuildAsync();
        var digestFile = _scratch.Combine("pushed.digest");
        await Tools.RunOkAsync("skopeo", ["copy", "--format", "oci", "--digestfile", digestFile, "--dest-tls-verify=false",
            "--dest-creds", Site.Registry.Credentials, image.Reference, $"docker://{Site.Registry.Host}/team/apps/web:1.0"]);
        var digest = File.ReadAllText(digestFile).Trim();
        var layerSize = new FileInfo(Path.Combine(image.LayoutPath, "blobs", "sha256", image.LayerDigests[0]["sha256:".Length..])).Length;

        const string description = "First line of the description\n<script>alert(1)</script>\n<b>not bold</b>";
        var put = await admin.PutAsJsonAsync("api/v2.0/projects/team/repositories/apps%252Fweb", new { description }, Json);
        Assert.True(put.IsSuccessStatusCode, $"PUT description: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        var listed = await ArtifactsAsync(admin, "team", "apps/web", expect: 1);
        var size = listed[0].GetProperty("size").GetInt64();

        var page = await Site.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) => { lock (dialogs) dialogs.Add($"{dialog.Type}: {dialog.Message}"); };

        // The repository page: the description as text, the pull command, the artifact row.
        await SignInAtAsync(page, "/projects/team/repositories/apps/web", "admin", Site.Registry.Password);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "team/apps/web", Level = 1 })).ToBeVisibleAsync();
        var shown = page.Locator("#description-text");
        await Assertions.Expect(shown).ToContainTextAsync("<script>alert(1)</script>");
        await Assertions.Expect(shown).ToContainTextAsync("<b>not bold</b>");
        Assert.Contains("First line of the description\n<script>alert(1)</script>\n", await shown.InnerTextAsync()); // line breaks kept
        Assert.Equal(0, await page.EvaluateAsync<int>("() => [...document.querySelectorAll('script')].filter(s => s.textContent.includes('alert(1)')).length"));
        Assert.Equal(0, await shown.Locator("script, b").CountAsync());
        Assert.Empty(dialogs);

        var pull = await page.Locator("#pull-command").InnerTextAsync();
        Assert.StartsWith("podman pull", pull);
        Assert.EndsWith($" {Site.Registry.Host}/team/apps/web:1.0", pull);
        Assert.Equal(pull, await page.GetByRole(AriaRole.Button, new() { Name = "Copy pull command" }).GetAttributeAsync("data-copy"));

        var row = page.Locator("table.artifacts tbody tr");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator("td").Nth(0)).ToHaveTextAsync("1.0");
        await Assertions.Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("Image");
        await Assertions.Expect(row.Locator("td").Nth(2)).ToHaveTextAsync(HumanSize(size));
        var digestLink = row.GetByRole(AriaRole.Link, new() { Name = ShortDigest(digest) });
        Assert.Equal(digest, await digestLink.GetAttributeAsync("title"));
        await Site.ScreenshotAsync(page, "repository");
        await AssertFitsAsync(page, "repository");

        // The artifact page: config, layers, history, raw manifest.
        await digestLink.ClickAsync();
        await page.WaitForURLAsync(url => url.Contains($"/projects/team/artifacts/{digest}?repository=apps/web"));
        await Assertions.Expect(page.Locator(".full-digest")).ToHaveTextAsync(digest);
        var env = page.GetByRole(AriaRole.List).Filter(new() { HasText = "E2E=portal" });
        await Assertions.Expect(env).ToContainTextAsync("GREETING=hello world");
        await Assertions.Expect(page.Locator("#entrypoint")).ToHaveTextAsync("[\"/app/run\", \"--serve\"]");
        await Assertions.Expect(Region(page, "Image")).ToContainTextAsync("linux/amd64");
        var layers = page.Locator("table.layers tbody tr");
        await Assertions.Expect(layers).ToHaveCountAsync(1);
        await Assertions.Expect(layers.First).ToContainTextAsync(ShortDigest(image.LayerDigests[0]));
        await Assertions.Expect(layers.First.Locator("td").Last).ToHaveTextAsync(HumanSize(layerSize));
        await Assertions.Expect(layers.First).ToContainTextAsync("application/vnd.oci.image.layer.v1.tar+gzip");
        var history = page.Locator("table.history tbody");
        await Assertions.Expect(history).ToContainTextAsync("umoci repack");
        await Assertions.Expect(history).ToContainTextAsync("umoci config");
        var raw = page.Locator("details.raw-manifest pre");
        await Assertions.Expect(raw).Not.ToBeVisibleAsync();
        await page.GetByText("Raw manifest").ClickAsync();
        await Assertions.Expect(raw).ToContainTextAsync(image.ConfigDigest);

        // Add a tag, refuse a duplicate with the API's message, delete the first tag.
        await page.GetByLabel("New tag").FillAsync("stable");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add tag" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Tag stable added.");
        Assert.Equal(["1.0", "stable"], await TagsAsync(admin, digest));
        await page.GetByLabel("New tag").FillAsync("stable");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add tag" }).ClickAsync();
        await Assertions.Expect(page.Locator("#new-tag-error")).ToContainTextAsync("already exists");
        Assert.Equal("stable", await page.GetByLabel("New tag").InputValueAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = "Delete tag 1.0" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Tag 1.0 deleted.");
        Assert.Equal(["stable"], await TagsAsync(admin, digest));
        Assert.Contains(dialogs, d => d.Contains("Delete the tag 1.0?"));
        await Assertions.Expect(page.Locator("table.tags tbody tr")).ToHaveCountAsync(1);
        await Site.ScreenshotAsync(page, "artifact");
        await AssertFitsAsync(page, "artifact");

        // Edit the description in the browser, then delete the artifact after confirming.
        await page.GetByRole(AriaRole.Link, new() { Name = "apps/web" }).ClickAsync();
        await page.GetByText("Edit description").ClickAsync();
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Description" }).FillAsync("Web front end\nsecond line");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save description" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Description saved.");
        var repository = await admin.GetFromJsonAsync<JsonElement>("api/v2.0/projects/team/repositories/apps%252Fweb");
        Assert.Equal("Web front end\nsecond line", repository.GetProperty("description").GetString());

        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete artifact {ShortDigest(digest)}" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Artifact {ShortDigest(digest)} deleted.");
        Assert.Contains(dialogs, d => d.StartsWith("confirm: Delete the artifact " + digest));
        await Assertions.Expect(page.GetByText("No artifacts.")).ToBeVisibleAsync();
        await ArtifactsAsync(admin, "team", "apps/web", expect: 0);
        Assert.DoesNotContain(dialogs, d => d.Contains("alert", StringComparison.OrdinalIgnoreCase) && !d.StartsWith("confirm"));

        // Deleting the repository leads back to the project's repository list.
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete repository" }).ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/projects/team/repositories"));
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "apps/web" })).ToHaveCountAsync(0);
        Assert.Contains(dialogs, d => d.StartsWith("confirm: Delete the repository team/apps/web"));
        using var gone = await admin.GetAsync("api/v2.0/projects/team/repositories/apps%252Fweb");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task AnIndexShowsItsPlatformsLinkingToEachChildAndTheSbomAttachedToIt()
    {
        using var admin = Site.AdminApi();
        await PortalSite.CreateAsync(admin, "/projects", new { project_name = "multi" });
        var oci = new OciClient(admin, "multi/tool", () => Site.Registry.Tail());
        var random = new Random(11);
        var amd64 = SyntheticImage.Create(random, layerCount: 2, layerSize: 20 * 1024, note: "amd64");
        var arm64 = SyntheticImage.WithBlobs(ImageConfig("arm64", "v8", "ARCH=arm64"), [SyntheticImage.RandomBytes(random, 30 * 1024)]);
        foreach (var child in new[] { amd64, arm64 })
        {
            foreach (var blob in child.Blobs) await oci.PushBlobAsync(blob);
            await oci.ExpectAsync(await oci.PutManifestAsync(child.ManifestDigest, child.Manifest), HttpStatusCode.Created, "PUT child manifest");
        }
        var index = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(
                ChildDescriptor(amd64, "amd64", null),
                ChildDescriptor(arm64, "arm64", "v8")),
        }.ToJsonString());
        var indexDigest = OciImage.Sha256Digest(index);
        await oci.ExpectAsync(await oci.PutManifestAsync("2.0", index, "application/vnd.oci.image.index.v1+json"), HttpStatusCode.Created, "PUT index");

        // An SBOM attached to the index by its subject.
        var empty = "{}"u8.ToArray();
        var sbom = Encoding.UTF8.GetBytes("{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"tool\"}");
        await oci.PushBlobAsync(empty);
        await oci.PushBlobAsync(sbom);
        var referrer = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciClient.OciManifest,
            ["artifactType"] = "application/spdx+json",
            ["config"] = Descriptor("application/vnd.oci.empty.v1+json", empty),
            ["layers"] = new JsonArray(Descriptor("application/spdx+json", sbom)),
            ["subject"] = Descriptor("application/vnd.oci.image.index.v1+json", index),
        }.ToJsonString());
        var referrerDigest = OciImage.Sha256Digest(referrer);
        await oci.ExpectAsync(await oci.PutManifestAsync(referrerDigest, referrer), HttpStatusCode.Created, "PUT SBOM referrer");
        await ArtifactsAsync(admin, "multi", "tool", expect: 2);

        var page = await Site.NewPageAsync();
        await SignInAtAsync(page, "/projects/multi/repositories/tool", "admin", Site.Registry.Password);
        var indexRow = page.Locator("table.artifacts tbody tr").Filter(new() { HasText = "2.0" });
        await Assertions.Expect(indexRow.Locator("td").Nth(1)).ToHaveTextAsync("Index");
        await Assertions.Expect(page.Locator("table.artifacts tbody tr").Filter(new() { HasText = "SBOM" })).ToHaveCountAsync(1);

        await indexRow.GetByRole(AriaRole.Link, new() { Name = ShortDigest(indexDigest) }).ClickAsync();
        await Assertions.Expect(page.Locator(".full-digest")).ToHaveTextAsync(indexDigest);
        var platforms = page.Locator("table.children tbody tr");
        await Assertions.Expect(platforms).ToHaveCountAsync(2);
        await Assertions.Expect(platforms.Nth(0).Locator("th")).ToHaveTextAsync("linux/amd64");
        await Assertions.Expect(platforms.Nth(0)).ToContainTextAsync(ShortDigest(amd64.ManifestDigest));
        await Assertions.Expect(platforms.Nth(1).Locator("th")).ToHaveTextAsync("linux/arm64/v8");
        await Assertions.Expect(platforms.Nth(1)).ToContainTextAsync(ShortDigest(arm64.ManifestDigest));
        var attached = page.Locator("table.accessories tbody tr");
        await Assertions.Expect(attached).ToHaveCountAsync(1);
        await Assertions.Expect(attached.Locator("th")).ToHaveTextAsync("SBOM");
        await Assertions.Expect(attached).ToContainTextAsync(ShortDigest(referrerDigest));
        await Assertions.Expect(page.Locator("table.layers")).ToHaveCountAsync(0);
        await Site.ScreenshotAsync(page, "artifact-index");

        // Each child has its own page, as an image.
        await platforms.Nth(1).GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.Locator(".full-digest")).ToHaveTextAsync(arm64.ManifestDigest);
        await Assertions.Expect(Region(page, "Image")).ToContainTextAsync("linux/arm64/v8");
        await Assertions.Expect(page.GetByText("ARCH=arm64")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("table.layers tbody tr")).ToHaveCountAsync(1);
        await page.GoBackAsync();
        await platforms.Nth(0).GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.Locator(".full-digest")).ToHaveTextAsync(amd64.ManifestDigest);
        await Assertions.Expect(page.Locator("table.layers tbody tr")).ToHaveCountAsync(2);

        // The SBOM's page links back to what it is attached to.
        await page.GotoAsync($"/projects/multi/artifacts/{referrerDigest}?repository=tool");
        await Assertions.Expect(Region(page, "Overview")).ToContainTextAsync("SBOM");
        await page.GetByRole(AriaRole.Link, new() { Name = ShortDigest(indexDigest) }).ClickAsync();
        await Assertions.Expect(page.Locator(".full-digest")).ToHaveTextAsync(indexDigest);

        // Deleting the index from its page takes its children and its SBOM with it.
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete artifact" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/projects/multi/repositories/tool");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Artifact {ShortDigest(indexDigest)} deleted.");
        await Assertions.Expect(page.GetByText("No artifacts.")).ToBeVisibleAsync();
        await ArtifactsAsync(admin, "multi", "tool", expect: 0);
        Assert.Equal(HttpStatusCode.NotFound, (await oci.GetManifestAsync(arm64.ManifestDigest)).Status);
    }

    /// <summary>
    /// Non-image artifacts pushed by raw OCI calls are named in the Type column: a Helm chart (its
    /// config media type), a cosign signature (a simple-signing layer, tagged <c>sha256-&lt;hex&gt;.sig</c>
    /// after the image it signs, which lists it as attached) and an artifact of a type nobody knows.
    /// </summary>
    [Fact]
    public async Task AHelmChartASignatureAndAnUnknownArtifactAreNamedInTheTypeColumn()
    {
        using var admin = Site.AdminApi();
        await PortalSite.CreateAsync(admin, "/projects", new { project_name = "kinds", metadata = new { @public = "false" } });
        var oci = new OciClient(admin, "kinds/mixed", () => Site.Registry.Tail());
        var random = new Random(5);

        var image = SyntheticImage.Create(random, layerCount: 1, layerSize: 4096, note: "signed");
        foreach (var blob in image.Blobs) await oci.PushBlobAsync(blob);
        await oci.ExpectAsync(await oci.PutManifestAsync("1.0", image.Manifest), HttpStatusCode.Created, "PUT image");

        var chartConfig = Encoding.UTF8.GetBytes("{\"apiVersion\":\"v2\",\"name\":\"demo\",\"version\":\"0.1.0\"}");
        var chartContent = SyntheticImage.RandomBytes(random, 2048);
        var chartDigest = await PushArtifactAsync(oci, "0.1.0", "application/vnd.cncf.helm.config.v1+json", chartConfig,
            "application/vnd.cncf.helm.chart.content.v1.tar+gzip", chartContent);

        // cosign's layout: an image config, one simple-signing payload as the layer, the signature in its annotation.
        var payload = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["critical"] = new JsonObject
            {
                ["identity"] = new JsonObject { ["docker-reference"] = $"{Site.Registry.Host}/kinds/mixed" },
                ["image"] = new JsonObject { ["docker-manifest-digest"] = image.ManifestDigest },
                ["type"] = "cosign container image signature",
            },
            ["optional"] = null,
        }.ToJsonString());
        var signatureConfig = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "", ["os"] = "", ["config"] = new JsonObject(),
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(OciImage.Sha256Digest(payload)) },
        }.ToJsonString());
        var signatureTag = "sha256-" + image.ManifestDigest["sha256:".Length..] + ".sig";
        var signatureDigest = await PushArtifactAsync(oci, signatureTag, "application/vnd.oci.image.config.v1+json", signatureConfig,
            "application/vnd.dev.cosign.simplesigning.v1+json", payload,
            new JsonObject { ["dev.cosignproject.cosign/signature"] = Convert.ToBase64String(SyntheticImage.RandomBytes(random, 64)) });

        var unknownDigest = await PushArtifactAsync(oci, "thing", "application/vnd.example.thing.config.v1+json", "{\"thing\":true}"u8.ToArray(),
            "application/vnd.example.thing.layer.v1", SyntheticImage.RandomBytes(random, 512));
        var listed = await ArtifactsAsync(admin, "kinds", "mixed", expect: 4);
        string TypeOf(string digest) => listed.Single(a => a.GetProperty("digest").GetString() == digest).GetProperty("type").GetString()!;
        Assert.Equal(("IMAGE", "CHART", "SIGNATURE", "UNKNOWN"), (TypeOf(image.ManifestDigest), TypeOf(chartDigest), TypeOf(signatureDigest), TypeOf(unknownDigest)));

        var page = await Site.NewPageAsync();
        await SignInAtAsync(page, "/projects/kinds/repositories/mixed", "admin", Site.Registry.Password);
        var rows = page.Locator("table.artifacts tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(4);
        ILocator TypeCell(string digest) => rows.Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = ShortDigest(digest) }) }).Locator("td").Nth(1);
        await Assertions.Expect(TypeCell(image.ManifestDigest)).ToHaveTextAsync("Image");
        await Assertions.Expect(TypeCell(chartDigest)).ToHaveTextAsync("Helm chart");
        await Assertions.Expect(TypeCell(signatureDigest)).ToHaveTextAsync("Signature");
        await Assertions.Expect(TypeCell(unknownDigest)).ToHaveTextAsync("Other artifact");
        await Assertions.Expect(TypeCell(unknownDigest)).ToHaveAttributeAsync("title", "application/vnd.example.thing.config.v1+json");
        await Assertions.Expect(rows.Filter(new() { HasText = signatureTag })).ToHaveCountAsync(1);
        await Site.ScreenshotAsync(page, "repository-artifact-types");

        // The image lists the signature among its attachments, linking to it.
        await page.GetByRole(AriaRole.Link, new() { Name = ShortDigest(image.ManifestDigest) }).ClickAsync();
        await Assertions.Expect(page.Locator(".full-digest")).ToHaveTextAsync(image.ManifestDigest);
        var attached = page.Locator("table.accessories tbody tr");
        await Assertions.Expect(attached).ToHaveCountAsync(1);
        await Assertions.Expect(attached.Locator("th")).ToHaveTextAsync("Signature (cosign)");
        await attached.GetByRole(AriaRole.Link, new() { Name = ShortDigest(signatureDigest) }).ClickAsync();
        await Assertions.Expect(page.Locator(".full-digest")).ToHaveTextAsync(signatureDigest);
    }

    /// <summary>Pushes a one-layer manifest with the given config and layer types under <paramref name="tag"/>; returns its digest.</summary>
    private static async Task<string> PushArtifactAsync(OciClient oci, string tag, string configType, byte[] config, string layerType, byte[] layer,
        JsonObject? layerAnnotations = null)
    {
        await oci.PushBlobAsync(config);
        await oci.PushBlobAsync(layer);
        var layerDescriptor = Descriptor(layerType, layer);
        if (layerAnnotations is not null) layerDescriptor["annotations"] = layerAnnotations;
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciClient.OciManifest,
            ["config"] = Descriptor(configType, config),
            ["layers"] = new JsonArray(layerDescriptor),
        }.ToJsonString());
        await oci.ExpectAsync(await oci.PutManifestAsync(tag, manifest), HttpStatusCode.Created, $"PUT manifest {tag}");
        return OciImage.Sha256Digest(manifest);
    }

    [Fact]
    public async Task AGuestSeesNothingToChangeTheApiRefusesAForgedDeleteAndArtifactsComeInPages()
    {
        using var admin = Site.AdminApi();
        await PortalSite.CreateAsync(admin, "/projects", new { project_name = "team", metadata = new { @public = "false" } });
        await PortalSite.CreateAsync(admin, "/users", new { username = "visitor", email = "visitor@example.org", password = "Guest-Pass1" });
        await PortalSite.CreateAsync(admin, "/projects/team/members", new { role_id = 3, member_user = new { username = "visitor" } });
        var oci = new OciClient(admin, "team/app", () => Site.Registry.Tail());
        var image = SyntheticImage.Create(new Random(3), layerCount: 1, layerSize: 4096);
        foreach (var blob in image.Blobs) await oci.PushBlobAsync(blob);
        await oci.ExpectAsync(await oci.PutManifestAsync("1.0", image.Manifest), HttpStatusCode.Created, "PUT manifest");
        for (var i = 0; i < 16; i++) // 17 artifacts: two pages of 15
        {
            var more = SyntheticImage.WithBlobs(image.Config, image.Layers, note: $"build {i}");
            await oci.ExpectAsync(await oci.PutManifestAsync(more.ManifestDigest, more.Manifest), HttpStatusCode.Created, "PUT manifest");
        }
        await ArtifactsAsync(admin, "team", "app", expect: 17);

        var page = await Site.NewPageAsync();
        await SignInAtAsync(page, "/projects/team/repositories/app", "visitor", "Guest-Pass1");
        await Assertions.Expect(page.Locator("table.artifacts tbody tr")).ToHaveCountAsync(15);
        var pager = page.GetByRole(AriaRole.Navigation, new() { Name = "Artifact pages" });
        await Assertions.Expect(pager).ToContainTextAsync("Page 1 of 2 · 17 artifacts");
        await pager.GetByRole(AriaRole.Link, new() { Name = "Next" }).ClickAsync();
        await Assertions.Expect(pager).ToContainTextAsync("Page 2 of 2 · 17 artifacts");
        await Assertions.Expect(page.Locator("table.artifacts tbody tr")).ToHaveCountAsync(2);
        await pager.GetByRole(AriaRole.Link, new() { Name = "Previous" }).ClickAsync();
        await Assertions.Expect(pager).ToContainTextAsync("Page 1 of 2");
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Delete") }).CountAsync());
        Assert.Equal(0, await page.GetByText("Edit description").CountAsync());
        Assert.Equal(0, await page.Locator("form[data-confirm]").CountAsync());

        await page.GotoAsync($"/projects/team/artifacts/{image.ManifestDigest}?repository=app");
        await Assertions.Expect(page.Locator(".full-digest")).ToHaveTextAsync(image.ManifestDigest);
        await Assertions.Expect(page.Locator("table.tags tbody tr")).ToHaveCountAsync(1);
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^(Delete|Add tag)") }).CountAsync());
        Assert.Equal(0, await page.GetByLabel("New tag").CountAsync());
        Assert.Equal(0, await page.Locator("form[data-confirm]").CountAsync());

        // A delete the page never offered, posted anyway: the API refuses and the page says so.
        var antiforgery = await page.Locator("input[name=__RequestVerificationToken]").First.GetAttributeAsync("value");
        var form = page.APIRequest.CreateFormData();
        form.Set("digest", image.ManifestDigest);
        form.Set("__RequestVerificationToken", antiforgery!);
        var forged = await page.APIRequest.PostAsync("/projects/team/repositories/app?handler=DeleteArtifact", new() { Form = form });
        Assert.Equal(200, forged.Status);
        var body = await forged.TextAsync();
        Assert.Contains("not allowed to delete artifact in project team", body);
        Assert.Matches("class=\"error-summary[^\"]*\"[^>]*>\\s*<ul><li>not allowed to delete artifact", body);
        await ArtifactsAsync(admin, "team", "app", expect: 17);
    }

    /// <summary>
    /// Opens <paramref name="path"/>, signs in on the form it sends to and waits to be back there
    /// (not on the projects list, which is another page's).
    /// </summary>
    private static async Task SignInAtAsync(IPage page, string path, string username, string password)
    {
        await page.GotoAsync(path);
        Assert.Contains("/account/login", page.Url);
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == path);
    }

    /// <summary>The page has no horizontal scroll at 360 px (wide tables scroll inside their wrapper).</summary>
    private async Task AssertFitsAsync(IPage page, string name)
    {
        await page.SetViewportSizeAsync(360, 800);
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        await Site.ScreenshotAsync(page, name + "-360");
        await page.SetViewportSizeAsync(1366, 900);
        Assert.True(overflow <= 0, $"the {name} page is {overflow} px wider than a 360 px screen");
    }

    /// <summary>The repository's artifacts from the API once there are <paramref name="expect"/> (the read model may lag a push).</summary>
    private static async Task<List<JsonElement>> ArtifactsAsync(HttpClient api, string project, string repository, int expect)
    {
        var path = $"api/v2.0/projects/{project}/repositories/{Uri.EscapeDataString(Uri.EscapeDataString(repository))}/artifacts?page_size=100";
        List<JsonElement> items = [];
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var response = await api.GetAsync(path);
            if (response.IsSuccessStatusCode)
            {
                items = [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()];
                if (items.Count == expect) return items;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"{path}: expected {expect} artifacts, have {items.Count}");
        return items;
    }

    private async Task<List<string>> TagsAsync(HttpClient api, string digest)
    {
        var tags = await api.GetFromJsonAsync<JsonElement>($"api/v2.0/projects/team/repositories/apps%252Fweb/artifacts/{digest}/tags");
        return [.. tags.EnumerateArray().Select(t => t.GetProperty("name").GetString()!).Order(StringComparer.Ordinal)];
    }

    private static ILocator Region(IPage page, string name) => page.GetByRole(AriaRole.Region, new() { Name = name, Exact = true });

    private static string ShortDigest(string digest) => digest[..("sha256:".Length + 12)];

    /// <summary>The portal's size format: binary units, one decimal below 100.</summary>
    private static string HumanSize(long bytes)
    {
        if (bytes < 1024) return $"{bytes} B";
        string[] units = ["KiB", "MiB", "GiB"];
        double value = bytes / 1024.0;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return value.ToString(value >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    private static byte[] ImageConfig(string architecture, string? variant, string env)
    {
        var config = new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Env"] = new JsonArray(env) },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
        };
        if (variant is not null) config["variant"] = variant;
        return Encoding.UTF8.GetBytes(config.ToJsonString());
    }

    private static JsonObject ChildDescriptor(SyntheticImage image, string architecture, string? variant)
    {
        var platform = new JsonObject { ["architecture"] = architecture, ["os"] = "linux" };
        if (variant is not null) platform["variant"] = variant;
        return new JsonObject
        {
            ["mediaType"] = OciClient.OciManifest,
            ["digest"] = image.ManifestDigest,
            ["size"] = image.Manifest.Length,
            ["platform"] = platform,
        };
    }

    private static JsonObject Descriptor(string mediaType, byte[] content) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = OciImage.Sha256Digest(content),
        ["size"] = content.Length,
    };
}
