using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Registry.EndToEnd.Tests.Portal;

/// <summary>The project Webhooks tab and the admin Audit log page, in a real browser against a real registry and portal.</summary>
public sealed class WebhookAuditPagesTests(ITestOutputHelper output) : PortalTest(output)
{
    private async Task<IPage> SignedInAsync(string path)
    {
        var page = await Site.NewPageAsync();
        await page.GotoAsync("/account/login?ReturnUrl=" + Uri.EscapeDataString(path));
        await page.GetByLabel("Username").FillAsync("admin");
        await page.GetByLabel("Password").FillAsync(Site.Registry.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/account/login"));
        return page;
    }

    [Fact]
    public async Task AProjectAdminAddsEditsDisablesAndDeletesAWebhookAndInternalTargetsAreRefused()
    {
        using var api = Site.AdminApi();
        await PortalSite.CreateAsync(api, "/projects", new { project_name = "hooks", metadata = new { @public = "false" } });
        var page = await SignedInAsync("/projects/hooks/webhooks");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Webhooks" })).ToHaveAttributeAsync("aria-current", "page");
        await Expect(page.GetByText("No webhooks in this project.")).ToBeVisibleAsync();

        var form = page.Locator("form", new() { Has = page.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }) });
        await form.GetByLabel("Name").FillAsync("ci");
        await form.GetByLabel("Endpoint URL").FillAsync("http://127.0.0.1:9/hook");
        await form.GetByLabel("Payload format").SelectOptionAsync("CloudEvents");
        await form.GetByLabel("Artifact deleted").CheckAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }).ClickAsync();
        // The SSRF guard's message, next to the form.
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("webhook_allowed_targets");

        var allowed = await api.PutAsJsonAsync("api/v2.0/configurations", new { webhook_allowed_targets = "127.0.0.0/8" });
        Assert.Equal(System.Net.HttpStatusCode.OK, allowed.StatusCode);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("Webhook ci added.");
        var row = page.GetByRole(AriaRole.Row, new() { Name = "ci" });
        await Expect(row).ToContainTextAsync("Artifact pushed, Artifact deleted");
        await Expect(row).ToContainTextAsync("CloudEvents");
        await Expect(row.GetByText("Enabled")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Edit ci" }).ClickAsync();
        var edit = page.Locator("form", new() { Has = page.GetByRole(AriaRole.Button, new() { Name = "Save webhook" }) });
        await Expect(edit.GetByLabel("Endpoint URL")).ToHaveValueAsync("http://127.0.0.1:9/hook");
        await edit.GetByLabel("Name").FillAsync("ci-pulls");
        await edit.GetByLabel("Artifact pulled").CheckAsync();
        await edit.GetByRole(AriaRole.Button, new() { Name = "Save webhook" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("Webhook ci-pulls saved.");
        row = page.GetByRole(AriaRole.Row, new() { Name = "ci-pulls" });
        await Expect(row).ToContainTextAsync("Artifact pulled");

        await page.GetByRole(AriaRole.Button, new() { Name = "Disable ci-pulls" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("disabled");
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "ci-pulls" }).GetByText("Disabled")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Executions of ci-pulls" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Executions of ci-pulls" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Nothing sent yet.")).ToBeVisibleAsync();
        await Site.ScreenshotAsync(page, "webhooks");

        await page.GetByRole(AriaRole.Button, new() { Name = "Delete ci-pulls" }).ClickAsync(); // confirmed: PortalSite accepts dialogs
        await Expect(page.Locator(".flash")).ToContainTextAsync("Webhook deleted.");
        await Expect(page.GetByText("No webhooks in this project.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AnAdminFiltersTheAuditLogDryRunsAPurgeAndSchedulesIt()
    {
        using var api = Site.AdminApi();
        await PortalSite.CreateAsync(api, "/projects", new { project_name = "audited", metadata = new { @public = "false" } });
        var page = await SignedInAsync("/admin/audit");
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) => { lock (dialogs) dialogs.Add(dialog.Message); };
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit log", Level = 1 })).ToBeVisibleAsync();

        await page.GetByLabel("Operation").SelectOptionAsync("create");
        await page.GetByLabel("Resource type").FillAsync("project");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "audited" })).ToBeVisibleAsync();
        await page.GetByLabel("Resource type").FillAsync("no-such-type");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.GetByText("No entries match.")).ToBeVisibleAsync();

        await page.GetByLabel("Keep entries for (hours)").FillAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Dry run" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("Dry run finished");
        await Expect(page.Locator("pre.log")).ToContainTextAsync("would be deleted");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "dry run" })).ToHaveCountAsync(1);

        // The form shows the stored schedule again: it keeps 30 days until one is saved.
        await Expect(page.GetByLabel("Keep entries for (hours)")).ToHaveValueAsync("720");
        await page.GetByLabel("Keep entries for (hours)").FillAsync("1");
        await page.GetByLabel("Schedule", new() { Exact = true }).SelectOptionAsync("Daily");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save schedule" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("Purge schedule saved.");
        await Expect(page.GetByText("Next scheduled purge")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Schedule", new() { Exact = true })).ToHaveValueAsync("Daily");
        await Expect(page.GetByLabel("Keep entries for (hours)")).ToHaveValueAsync("1");
        await Site.ScreenshotAsync(page, "audit-log");

        // Purge now is the dangerous button of the form: it asks first (PortalSite accepts), Dry run and Save schedule do not.
        lock (dialogs) Assert.Empty(dialogs);
        await page.GetByRole(AriaRole.Button, new() { Name = "Purge now" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("Purge finished");
        lock (dialogs) Assert.Equal(["Delete the matching audit entries now?"], dialogs);
    }
}
