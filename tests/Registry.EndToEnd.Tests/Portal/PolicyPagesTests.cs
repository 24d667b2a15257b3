using System.Text;
using Microsoft.Playwright;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests.Portal;

/// <summary>
/// The label and tag retention pages in a real browser: global labels on the admin page, project
/// labels in the project's Labels tab, attaching one on the artifact page and seeing it in the
/// artifact list, and a retention rule, a dry run that deletes nothing and a run with its history and log.
/// </summary>
public sealed class PolicyPagesTests(ITestOutputHelper output) : PortalTest(output), IDisposable
{
    private readonly TempDirectory _scratch = new("portal-policies");

    private ToolRunner Tools => new(Output, () => Site.Registry.Tail());

    public void Dispose() => _scratch.Dispose();

    private static ILocator FormWithButton(IPage page, string button) =>
        page.Locator("form", new() { Has = page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }) });

    private static ILocator Tab(IPage page, string name) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Project" }).GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    private async Task PushAsync(string reference, string content)
    {
        var image = await new OciLayoutBuilder(Tools, Directory.CreateDirectory(Path.Combine(_scratch.Path, Guid.NewGuid().ToString("N"))).FullName)
            .WithFile("/app/content.txt", Encoding.UTF8.GetBytes(content))
            .BuildAsync();
        await Tools.RunOkAsync("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds", Site.Registry.Credentials, image.Reference, $"docker://{Site.Registry.Host}/{reference}"]);
    }

    [Fact]
    public async Task AnAdminManagesLabelsAttachesOneAndRunsRetentionInTheBrowser()
    {
        var registry = Site.Registry;
        await PortalSite.CreateAsync(Site.AdminApi(), "/projects", new { project_name = "shop", metadata = new { @public = "false" } });
        await PushAsync("shop/web:1.0", "one");
        await PushAsync("shop/web:2.0", "two");
        await PushAsync("shop/web:3.0", "three");

        var page = await Site.NewPageAsync();
        await Site.SignInAsync(page, "admin", registry.Password);

        // A global label on the admin page.
        await page.GotoAsync("/admin/labels");
        var create = FormWithButton(page, "Create label");
        await create.GetByLabel("Label name").FillAsync("production");
        await create.GetByLabel("Description").FillAsync("runs in production");
        await create.GetByRole(AriaRole.Button, new() { Name = "Create label" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Label production created");
        await Assertions.Expect(page.GetByLabel("Name of production")).ToHaveValueAsync("production");
        await FormWithButton(page, "Create label").GetByLabel("Label name").FillAsync("production");
        await FormWithButton(page, "Create label").GetByRole(AriaRole.Button, new() { Name = "Create label" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("already exists");
        await Site.ScreenshotAsync(page, "admin-labels");

        // A project label in the Labels tab, renamed.
        await page.GotoAsync("/projects/shop");
        await Tab(page, "Labels").ClickAsync();
        await page.WaitForURLAsync("**/projects/shop/labels");
        await FormWithButton(page, "Create label").GetByLabel("Label name").FillAsync("canary");
        await FormWithButton(page, "Create label").GetByRole(AriaRole.Button, new() { Name = "Create label" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Label canary created");
        await page.GetByLabel("Name of canary").FillAsync("stable");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save label canary" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Label stable saved");
        await Site.ScreenshotAsync(page, "project-labels");

        // A guest sees the labels read-only, each with its colour (a swatch and the code; no inline style, which the CSP refuses).
        using (var admin = Site.AdminApi())
        {
            await PortalSite.CreateAsync(admin, "/users", new { username = "gus", email = "gus@example.org", password = "Gus-Pass1", realname = "Gus" });
            await PortalSite.CreateAsync(admin, "/projects/shop/members", new { role_id = 3, member_user = new { username = "gus" } });
        }
        var guest = await Site.NewPageAsync();
        await Site.SignInAsync(guest, "gus", "Gus-Pass1");
        await guest.GotoAsync("/projects/shop");
        await Tab(guest, "Labels").ClickAsync();
        await guest.WaitForURLAsync("**/projects/shop/labels");
        var labelRow = guest.GetByRole(AriaRole.Row).Filter(new() { HasText = "stable" });
        await Assertions.Expect(labelRow).ToContainTextAsync("#2f6fde");
        await Assertions.Expect(labelRow.Locator("svg.swatch rect")).ToHaveAttributeAsync("fill", "#2f6fde");
        await Assertions.Expect(guest.GetByLabel("Name of stable")).ToHaveCountAsync(0);
        await Assertions.Expect(guest.GetByRole(AriaRole.Button, new() { Name = "Create label" })).ToHaveCountAsync(0);
        Assert.Equal(0, await guest.Locator("[style]").CountAsync());
        await Site.ScreenshotAsync(guest, "project-labels-guest");

        // Attached on the artifact page of 1.0, shown in the artifact list.
        await page.GotoAsync("/projects/shop/repositories/web");
        await page.GetByRole(AriaRole.Row).Filter(new() { HasText = "1.0" }).GetByRole(AriaRole.Link).First.ClickAsync();
        await page.GetByLabel("Label to add").SelectOptionAsync(new SelectOptionValue { Label = "stable" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Add label" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Label added");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Remove label stable" })).ToBeVisibleAsync();
        await page.GotoAsync("/projects/shop/repositories/web");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "1.0" })).ToContainTextAsync("stable");

        // Retention: keep the newest one, plus whatever is labelled stable.
        await page.GotoAsync("/projects/shop");
        await Tab(page, "Tag retention").ClickAsync();
        await page.WaitForURLAsync("**/projects/shop/retention");
        var rule = FormWithButton(page, "Add rule");
        await rule.GetByLabel("Rule").SelectOptionAsync("latestPushedK");
        await rule.GetByLabel("Count (#)").FillAsync("1");
        await rule.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Rule added");
        rule = FormWithButton(page, "Add rule");
        await rule.GetByLabel("Rule").SelectOptionAsync("always");
        await rule.GetByLabel("With labels").FillAsync("stable");
        await rule.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "retain the most recently pushed 1 artifacts" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Dry run" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Dry run started");
        await WaitForRunAsync(page);
        await page.GotoAsync("/projects/shop/repositories/web");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "2.0" })).ToBeVisibleAsync();

        // Run now asks first (the page accepts every confirmation, see PortalSite.NewPageAsync).
        await page.GotoAsync("/projects/shop/retention");
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) => { lock (dialogs) dialogs.Add(dialog.Message); };
        await page.GetByRole(AriaRole.Button, new() { Name = "Run now" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Retention run started");
        lock (dialogs) Assert.Contains(dialogs, d => d.StartsWith("Run retention now?", StringComparison.Ordinal));
        await WaitForRunAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "shop/web" })).ToContainTextAsync("Succeed");
        await Site.ScreenshotAsync(page, "project-retention");
        var logLink = page.GetByRole(AriaRole.Link, new() { Name = "Log of shop/web" });
        var log = await page.Context.APIRequest.GetAsync(await logLink.GetAttributeAsync("href") ?? "");
        Assert.Contains("DEL", await log.TextAsync());

        await page.GotoAsync("/projects/shop/repositories/web");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "3.0" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "1.0" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "2.0" })).ToHaveCountAsync(0);

        // Deleting a label asks first too.
        await page.GotoAsync("/projects/shop/labels");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete label stable" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Label stable deleted");
        lock (dialogs) Assert.Contains(dialogs, d => d.StartsWith("Delete label stable?", StringComparison.Ordinal));
        await Assertions.Expect(page.GetByText("No labels yet.")).ToBeVisibleAsync();
        Site.AssertNoJavaScriptErrors();
    }

    /// <summary>Reloads the retention page until the newest run is no longer running.</summary>
    private static async Task WaitForRunAsync(IPage page)
    {
        for (var i = 0; i < 50; i++)
        {
            var running = await page.GetByRole(AriaRole.Cell, new() { Name = "Running", Exact = true }).CountAsync();
            if (running == 0) return;
            await Task.Delay(200);
            await page.ReloadAsync();
        }
        Assert.Fail("the retention run did not finish");
    }
}
