using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Registry.EndToEnd.Tests.Portal;

/// <summary>The admin Quotas page (usage and limits, editing one) and a project's Tag immutability page (add, disable, delete rules).</summary>
public sealed class GovernancePagesTests(ITestOutputHelper output) : PortalTest(output)
{
    private static ILocator Flash(IPage page) => page.Locator(".flash");

    [Fact]
    public async Task AnAdminSeesEveryProjectsUsageAndChangesALimit()
    {
        using var api = Site.AdminApi();
        await PortalSite.CreateAsync(api, "/projects", new { project_name = "quotaed", storage_limit = 10L << 20 });
        var page = await Site.NewPageAsync();
        await Site.SignInAsync(page, "admin", Site.Registry.Password);
        await page.GotoAsync("/admin/quotas");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Quotas", Level = 1 })).ToBeVisibleAsync();
        var row = page.Locator("tr[data-project=quotaed]");
        await Expect(row).ToContainTextAsync("0 B");
        await Expect(row.GetByLabel("Limit of quotaed (empty for unlimited)")).ToHaveValueAsync("10");
        await Expect(row.GetByLabel("Unit of the limit of quotaed")).ToHaveValueAsync("MiB");
        await Expect(page.Locator("tr[data-project=library]").GetByLabel("Limit of library (empty for unlimited)")).ToHaveValueAsync("");

        await row.GetByLabel("Limit of quotaed (empty for unlimited)").FillAsync("lots");
        await row.GetByRole(AriaRole.Button, new() { Name = "Save the limit of quotaed" }).ClickAsync();
        await Expect(page.Locator("tr[data-project=quotaed]").GetByRole(AriaRole.Alert)).ToContainTextAsync("Enter a number");

        row = page.Locator("tr[data-project=quotaed]");
        await row.GetByLabel("Limit of quotaed (empty for unlimited)").FillAsync("2");
        await row.GetByLabel("Unit of the limit of quotaed").SelectOptionAsync("GiB");
        await row.GetByRole(AriaRole.Button, new() { Name = "Save the limit of quotaed" }).ClickAsync();
        await Expect(Flash(page)).ToContainTextAsync("The quota of quotaed is now 2 GiB");
        var project = await api.GetFromJsonAsync<JsonElement>("api/v2.0/projects/quotaed");
        var quota = await api.GetFromJsonAsync<JsonElement>($"api/v2.0/quotas/{project.GetProperty("project_id").GetInt64()}");
        Assert.Equal(2L << 30, quota.GetProperty("hard").GetProperty("storage").GetInt64());
        await Site.ScreenshotAsync(page, "admin-quotas");

        // The project's summary shows the same limit.
        await page.GotoAsync("/projects/quotaed/summary");
        await Expect(page.Locator("#quota-usage")).ToContainTextAsync("2 GiB");
        Site.AssertNoJavaScriptErrors();
    }

    [Fact]
    public async Task AMaintainerAddsDisablesAndDeletesAnImmutabilityRule()
    {
        using var api = Site.AdminApi();
        await PortalSite.CreateAsync(api, "/projects", new { project_name = "frozen" });
        var page = await Site.NewPageAsync();
        await Site.SignInAsync(page, "admin", Site.Registry.Password);
        await page.GotoAsync("/projects/frozen/repositories");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Project" }).GetByRole(AriaRole.Link, new() { Name = "Tag immutability" }).ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/projects/frozen/immutability", StringComparison.Ordinal));
        await Expect(page.Locator("#no-rules")).ToBeVisibleAsync();

        // A pattern the API refuses comes back next to the form.
        await page.GetByLabel("Tag pattern").FillAsync("v[");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        await Expect(page.Locator("form", new() { Has = page.GetByRole(AriaRole.Button, new() { Name = "Add rule" }) }).GetByRole(AriaRole.Alert))
            .ToContainTextAsync("valid doublestar pattern");

        await page.GetByLabel("Repository pattern").FillAsync("apps/**");
        await page.GetByLabel("Tag pattern").FillAsync("v*");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        await Expect(Flash(page)).ToContainTextAsync("Immutability rule added.");
        var rule = page.Locator("#rules tbody tr");
        await Expect(rule).ToHaveCountAsync(1);
        await Expect(rule).ToContainTextAsync("apps/**");
        await Expect(rule).ToContainTextAsync("v*");
        await Expect(rule).ToContainTextAsync("Enabled");
        await Site.ScreenshotAsync(page, "project-immutability");

        await rule.GetByRole(AriaRole.Button, new() { Name = "Disable the rule for repositories matching apps/**, tags matching v*" }).ClickAsync();
        await Expect(Flash(page)).ToContainTextAsync("Rule disabled.");
        await Expect(page.Locator("#rules tbody tr")).ToContainTextAsync("Disabled");
        var rules = await api.GetFromJsonAsync<JsonElement>("api/v2.0/projects/frozen/immutabletagrules");
        Assert.True(rules[0].GetProperty("disabled").GetBoolean());

        await page.Locator("#rules tbody tr").GetByRole(AriaRole.Button, new() { Name = "Delete the rule for repositories matching apps/**, tags matching v*" }).ClickAsync();
        await Expect(Flash(page)).ToContainTextAsync("Rule deleted.");
        await Expect(page.Locator("#no-rules")).ToBeVisibleAsync();
        Assert.Equal(0, (await api.GetFromJsonAsync<JsonElement>("api/v2.0/projects/frozen/immutabletagrules")).GetArrayLength());
        Site.AssertNoJavaScriptErrors();
    }
}
