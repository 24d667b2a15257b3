using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests.Portal;

/// <summary>
/// The project's "Recycle bin" tab (<c>/projects/{name}/recyclebin</c>): deleted artifacts with
/// who deleted them and when they expire, restored and purged from the browser; a developer has no tab.
/// </summary>
public sealed class RecycleBinPageTests(ITestOutputHelper output) : PortalTest(output)
{
    [Fact]
    public async Task DeletedArtifactsAreListedRestoredAndPurgedInTheBrowser()
    {
        using var admin = Site.AdminApi();
        await PortalSite.CreateAsync(admin, "/projects", new { project_name = "team", metadata = new { @public = "false" } });
        var oci = new OciClient(admin, "team/app", () => Site.Registry.Tail());
        var images = new List<SyntheticImage>();
        for (var i = 0; i < 2; i++)
        {
            var image = SyntheticImage.Create(new Random(20 + i), layerCount: 1, layerSize: 2048, note: $"build {i}");
            foreach (var blob in image.Blobs) await oci.PushBlobAsync(blob);
            await oci.ExpectAsync(await oci.PutManifestAsync($"v{i}", image.Manifest), HttpStatusCode.Created, "PUT manifest");
            using var deleted = await admin.DeleteAsync($"v2/team/app/manifests/{image.ManifestDigest}");
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
            images.Add(image);
        }
        await PortalSite.CreateAsync(admin, "/users", new { username = "dev", email = "dev@example.org", password = "Dev-Pass1" });
        await PortalSite.CreateAsync(admin, "/projects/team/members", new { role_id = 2, member_user = new { username = "dev" } });

        var page = await Site.NewPageAsync();
        await Site.SignInAsync(page, "admin", Site.Registry.Password);
        await page.GotoAsync("/projects/team/repositories");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Project" }).GetByRole(AriaRole.Link, new() { Name = "Recycle bin", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/projects/team/recyclebin", StringComparison.Ordinal));
        var rows = page.Locator("table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        var first = rows.Filter(new() { HasText = images[0].ManifestDigest[..19] });
        await Assertions.Expect(first).ToContainTextAsync("team/app");
        await Assertions.Expect(first).ToContainTextAsync("v0");
        await Assertions.Expect(first.Locator("td").Nth(2)).ToHaveTextAsync("admin");
        await Site.ScreenshotAsync(page, "recycle-bin");

        // Restore the first: it is an artifact again, with its tag.
        await first.GetByRole(AriaRole.Button, new() { Name = "Restore" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("restored.");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        var (status, _, digest, _) = await oci.GetManifestAsync("v0");
        Assert.Equal((HttpStatusCode.OK, images[0].ManifestDigest), (status, digest));

        // Purge the other after confirming: the bin is empty.
        await rows.First.GetByRole(AriaRole.Button, new() { Name = "Purge" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("purged.");
        await Assertions.Expect(page.GetByText("The recycle bin is empty.")).ToBeVisibleAsync();
        var bin = await admin.GetFromJsonAsync<JsonElement>("api/v2.0/projects/team/recyclebin");
        Assert.Equal(0, bin.GetArrayLength());

        // Emptying the bin at once.
        using (var again = await admin.DeleteAsync($"v2/team/app/manifests/{images[0].ManifestDigest}"))
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        await page.ReloadAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Empty the recycle bin" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("emptied");
        await Assertions.Expect(page.GetByText("The recycle bin is empty.")).ToBeVisibleAsync();

        // A developer has no tab, and the page sends them back to the repositories.
        var developer = await Site.NewPageAsync();
        await Site.SignInAsync(developer, "dev", "Dev-Pass1");
        await developer.GotoAsync("/projects/team/repositories");
        await Assertions.Expect(developer.GetByRole(AriaRole.Navigation, new() { Name = "Project" }).GetByRole(AriaRole.Link, new() { Name = "Recycle bin" })).ToHaveCountAsync(0);
        await developer.GotoAsync("/projects/team/recyclebin");
        await developer.WaitForURLAsync(url => url.EndsWith("/projects/team/repositories", StringComparison.Ordinal));
    }
}
