using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Registry.EndToEnd.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Registry.EndToEnd.Tests.Portal;

/// <summary>The system administration pages: users, system robot accounts, configuration and system status.</summary>
public sealed class AdminPagesTests(ITestOutputHelper output) : PortalTest(output)
{
    /// <summary>Signs in through the form and lands on <paramref name="path"/> (pages of other areas may not exist on this branch).</summary>
    private async Task<IPage> SignedInAsync(string username, string password, string path)
    {
        var page = await NewPageAsync();
        await SignInAsync(page, username, password, path);
        await page.WaitForURLAsync(url => !url.Contains("/account/login"));
        return page;
    }

    private Task<IPage> NewPageAsync() => Site.NewPageAsync();

    private static async Task SignInAsync(IPage page, string username, string password, string path)
    {
        await page.GotoAsync("/account/login?ReturnUrl=" + Uri.EscapeDataString(path));
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    private static ILocator Flash(IPage page) => page.Locator(".flash");

    private static async Task AssertNoSidewaysScrollAsync(IPage page)
    {
        var fits = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth");
        Assert.True(fits, $"{page.Url} scrolls sideways at {page.ViewportSize?.Width} px");
    }

    [Fact]
    public async Task AnAdminCreatesAUserWhoCannotAdministerThenResetsTheirPasswordMakesThemAdminAndDeletesThem()
    {
        var admin = await SignedInAsync("admin", Site.Registry.Password, "/admin/users");
        await Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Users", Level = 1 })).ToBeVisibleAsync();
        // Neither oneself nor the first admin can be demoted or deleted: no buttons for that.
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Delete admin" })).ToHaveCountAsync(0);
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Revoke admin admin" })).ToHaveCountAsync(0);

        var create = admin.Locator("form", new() { Has = admin.GetByRole(AriaRole.Button, new() { Name = "Create user" }) });
        await create.GetByLabel("Username").FillAsync("alice");
        await create.GetByLabel("Email").FillAsync("alice@example.org");
        await create.GetByLabel("Real name").FillAsync("Alice Liddell");
        await create.GetByLabel("Password").FillAsync("weak");
        await create.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        // The API's own message, next to the form, with what was typed kept.
        await Expect(create.GetByRole(AriaRole.Alert)).ToContainTextAsync("at least one upper-case letter, one lower-case letter and one digit");
        await Expect(create.GetByLabel("Username")).ToHaveValueAsync("alice");

        await create.GetByLabel("Password").FillAsync("Alice-Pass1");
        await create.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        await Expect(Flash(admin)).ToHaveTextAsync("User alice created.");
        var aliceRow = admin.GetByRole(AriaRole.Row).Filter(new() { Has = admin.GetByRole(AriaRole.Rowheader, new() { Name = "alice" }) });
        await Expect(aliceRow).ToContainTextAsync("alice@example.org");
        await Expect(aliceRow).ToContainTextAsync("Alice Liddell");
        await Site.ScreenshotAsync(admin, "admin-users");
        await admin.SetViewportSizeAsync(360, 800);
        await AssertNoSidewaysScrollAsync(admin);
        await Site.ScreenshotAsync(admin, "admin-users-narrow");
        await admin.SetViewportSizeAsync(1366, 900);

        // Alice signs in elsewhere: no admin links, and the admin pages refuse her.
        var alice = await SignedInAsync("alice", "Alice-Pass1", "/");
        var nav = alice.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await Expect(nav).ToBeVisibleAsync();
        foreach (var link in new[] { "Users", "Robot accounts", "Configuration", "System" })
            await Expect(nav.GetByRole(AriaRole.Link, new() { Name = link })).ToHaveCountAsync(0);
        // A page of its own: Chromium logs every 403 document as a console error, which is the point here.
        var refusedPage = await alice.Context.NewPageAsync();
        foreach (var path in new[] { "/admin/users", "/admin/robots", "/admin/configuration", "/admin/system" })
        {
            var refused = await refusedPage.GotoAsync(path);
            Assert.Equal(403, refused!.Status);
            await Expect(refusedPage.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
            await Expect(refusedPage.Locator("main")).Not.ToContainTextAsync("alice@example.org");
        }
        await refusedPage.CloseAsync();

        // Reset: the admin sets a new password without the old one; the old one stops working.
        await aliceRow.GetByText("Reset password").ClickAsync();
        await aliceRow.GetByLabel("New password for alice").FillAsync("Alice-Pass2");
        await aliceRow.GetByRole(AriaRole.Button, new() { Name = "Set password of alice" }).ClickAsync();
        await Expect(Flash(admin)).ToHaveTextAsync("Password of alice reset.");
        var again = await NewPageAsync();
        await SignInAsync(again, "alice", "Alice-Pass1", "/");
        await Expect(again.GetByRole(AriaRole.Alert)).ToContainTextAsync("Wrong username or password");
        await again.Context.CloseAsync();

        // Make admin: her next session has the admin links and pages.
        await aliceRow.GetByRole(AriaRole.Button, new() { Name = "Make admin alice" }).ClickAsync();
        await Expect(Flash(admin)).ToHaveTextAsync("alice is now a system admin.");
        await Expect(aliceRow).ToContainTextAsync("System admin");
        var aliceAdmin = await SignedInAsync("alice", "Alice-Pass2", "/admin/users");
        await Expect(aliceAdmin.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Users" })).ToBeVisibleAsync();
        await Expect(aliceAdmin.GetByRole(AriaRole.Heading, new() { Name = "Users", Level = 1 })).ToBeVisibleAsync();
        await aliceAdmin.Context.CloseAsync();

        // Delete (the confirmation is accepted): gone from the list and from the API.
        await aliceRow.GetByRole(AriaRole.Button, new() { Name = "Delete alice" }).ClickAsync();
        await Expect(Flash(admin)).ToHaveTextAsync("User alice deleted.");
        await Expect(aliceRow).ToHaveCountAsync(0);
        using var api = Site.AdminApi();
        var users = await api.GetFromJsonAsync<JsonElement>("api/v2.0/users?q=username%3Dalice");
        Assert.Equal(0, users.GetArrayLength());
    }

    [Fact]
    public async Task AnAdminCreatesASystemRobotWhoseSecretIsShownOnceAndWorksWithSkopeo()
    {
        using var scratch = new TempDirectory("portal-admin-robot");
        var tools = new ToolRunner(Output, () => Site.Registry.Tail());
        var image = await new OciLayoutBuilder(tools, scratch.Path)
            .WithFile("/hello.txt", Encoding.UTF8.GetBytes("hello from the admin page test\n"))
            .BuildAsync();
        await tools.RunOkAsync("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds", Site.Registry.Credentials,
            image.Reference, $"docker://{Site.Registry.Host}/library/hello:1.0"]);
        var reference = $"docker://{Site.Registry.Host}/library/hello:1.0";

        var page = await SignedInAsync("admin", Site.Registry.Password, "/admin/robots");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Robot accounts", Level = 1 })).ToBeVisibleAsync();
        var create = page.Locator("form", new() { Has = page.GetByRole(AriaRole.Button, new() { Name = "Create robot account" }) });
        await create.GetByLabel("Name", new() { Exact = true }).FillAsync("ci-reader");
        await create.GetByLabel("Description").FillAsync("reads library images");
        await Expect(create.GetByLabel("Expires after (days)")).ToHaveValueAsync("30"); // robot_token_duration
        await create.GetByLabel("library", new() { Exact = true }).CheckAsync();
        await create.GetByLabel("Pull", new() { Exact = true }).CheckAsync();
        await create.GetByLabel("Create projects").CheckAsync();
        await create.GetByRole(AriaRole.Button, new() { Name = "Create robot account" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Robot account created: robot$ci-reader" })).ToBeVisibleAsync();
        var secret = (await page.Locator("#robot-secret").TextContentAsync())!.Trim();
        Assert.True(secret.Length >= 8, $"secret '{secret}'");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy secret" })).ToHaveAttributeAsync("data-copy", secret);
        Assert.DoesNotContain(secret, page.Url);
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "robot$ci-reader" });
        await Expect(row).ToContainTextAsync("library: pull");
        await Expect(row).ToContainTextAsync("System: create projects");
        await Site.ScreenshotAsync(page, "admin-robots-secret");

        await tools.RunOkAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", $"robot$ci-reader:{secret}", reference]);

        // Shown once: the list, loaded again, does not have it.
        await page.GotoAsync("/admin/robots");
        await Expect(row).ToBeVisibleAsync();
        Assert.DoesNotContain(secret, await page.ContentAsync());

        // A refreshed secret replaces the old one at once.
        await row.GetByRole(AriaRole.Button, new() { Name = "Refresh secret of robot$ci-reader" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New secret: robot$ci-reader" })).ToBeVisibleAsync();
        var refreshed = (await page.Locator("#robot-secret").TextContentAsync())!.Trim();
        Assert.NotEqual(secret, refreshed);
        await tools.RunFailingAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", $"robot$ci-reader:{secret}", reference]);
        await tools.RunOkAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", $"robot$ci-reader:{refreshed}", reference]);

        // Disabled, it is refused; enabled again, it works; deleted, it is gone.
        await row.GetByRole(AriaRole.Button, new() { Name = "Disable robot$ci-reader" }).ClickAsync();
        await Expect(Flash(page)).ToHaveTextAsync("robot$ci-reader is disabled.");
        await Expect(row).ToContainTextAsync("Disabled");
        await tools.RunFailingAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", $"robot$ci-reader:{refreshed}", reference]);
        await row.GetByRole(AriaRole.Button, new() { Name = "Enable robot$ci-reader" }).ClickAsync();
        await Expect(Flash(page)).ToHaveTextAsync("robot$ci-reader is enabled.");
        await tools.RunOkAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", $"robot$ci-reader:{refreshed}", reference]);
        await row.GetByRole(AriaRole.Button, new() { Name = "Delete robot$ci-reader" }).ClickAsync();
        await Expect(Flash(page)).ToHaveTextAsync("robot$ci-reader deleted.");
        await Expect(row).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task AnAdminChangesTheTokenExpirationAndTestsAnUnreachableLdapServer()
    {
        using var api = Site.AdminApi();
        await PortalSite.CreateAsync(api, "/users", new { username = "bob", email = "bob@example.org", password = "Bob-Pass1" });
        var page = await SignedInAsync("admin", Site.Registry.Password, "/admin/configuration");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Configuration", Level = 1 })).ToBeVisibleAsync();

        await page.GetByLabel("Token expiration (minutes)").FillAsync("45");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(Flash(page)).ToHaveTextAsync("Configuration saved (token_expiration).");
        await Expect(page.GetByLabel("Token expiration (minutes)")).ToHaveValueAsync("45");
        var stored = await api.GetFromJsonAsync<JsonElement>("api/v2.0/configurations");
        Assert.Equal(45, stored.GetProperty("token_expiration").GetProperty("value").GetInt32());
        Assert.False(stored.TryGetProperty("ldap_search_password", out _));

        // Governance settings: how long the recycle bin keeps deletions, and internal webhook targets.
        await page.GetByLabel("Recycle bin retention (days; 0 deletes at once)").FillAsync("3");
        await page.GetByLabel("Internal webhook targets allowed (host names and CIDRs, comma-separated)").FillAsync("hooks.internal, 10.20.0.0/16");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(Flash(page)).ToContainTextAsync("recycle_bin_retention_days");
        stored = await api.GetFromJsonAsync<JsonElement>("api/v2.0/configurations");
        Assert.Equal(3, stored.GetProperty("recycle_bin_retention_days").GetProperty("value").GetInt32());
        Assert.Contains("10.20.0.0/16", stored.GetProperty("webhook_allowed_targets").GetProperty("value").GetString());

        // Nothing listens on this port: the test answers with the failure, and nothing is saved.
        var closed = FreePorts.Take(1)[0];
        await page.GetByLabel("LDAP URL").FillAsync($"ldap://127.0.0.1:{closed}");
        await page.GetByLabel("Search password").FillAsync("Not-Kept1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Test LDAP connection" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Connection failed");
        await Expect(page.GetByLabel("LDAP URL")).ToHaveValueAsync($"ldap://127.0.0.1:{closed}");
        await Expect(page.GetByLabel("Search password")).ToHaveValueAsync(""); // write-only: never sent back
        await Site.ScreenshotAsync(page, "admin-configuration");
        stored = await api.GetFromJsonAsync<JsonElement>("api/v2.0/configurations");
        Assert.Equal("", stored.GetProperty("ldap_url").GetProperty("value").GetString());

        // With bob around, the API refuses to switch to LDAP, and says why.
        await page.GotoAsync("/admin/configuration");
        await page.GetByLabel("Authentication mode").SelectOptionAsync("ldap_auth");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("auth_mode can only change while the admin is the only user");
        stored = await api.GetFromJsonAsync<JsonElement>("api/v2.0/configurations");
        Assert.Equal("db_auth", stored.GetProperty("auth_mode").GetProperty("value").GetString());
    }

    [Fact]
    public async Task TheSystemPageShowsTheVersionAndHealthyComponents()
    {
        using var api = Site.AdminApi();
        var info = await api.GetFromJsonAsync<JsonElement>("api/v2.0/systeminfo");
        var version = info.GetProperty("harbor_version").GetString()!;

        var page = await SignedInAsync("admin", Site.Registry.Password, "/admin/system");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "System", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("#version")).ToHaveTextAsync(version);
        await Expect(page.Locator("#overall-health")).ToHaveTextAsync("healthy");
        var health = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Health" }) });
        var components = health.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Rowheader) });
        Assert.True(await components.CountAsync() >= 2, "expected the API's health components");
        foreach (var component in await components.AllAsync())
            await Expect(component.GetByRole(AriaRole.Cell).First).ToHaveTextAsync("healthy");
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "Public" })).ToContainTextAsync("1"); // the library project
        await Site.ScreenshotAsync(page, "admin-system");
        await page.SetViewportSizeAsync(360, 800);
        await AssertNoSidewaysScrollAsync(page);
    }
}
