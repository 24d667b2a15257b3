using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests.Portal;

/// <summary>
/// The project pages in a real browser against a real API: creating a project (and the API's
/// refusals next to the form), its repositories after a skopeo push, members and what a guest no
/// longer sees, a robot account whose secret is read off the page and used by skopeo until the
/// robot is disabled, the audit log and the summary; and the projects list at phone width.
/// </summary>
public sealed class ProjectPagesTests(ITestOutputHelper output) : PortalTest(output), IDisposable
{
    private readonly TempDirectory _scratch = new("portal-projects");

    private ToolRunner Tools => new(Output, () => Site.Registry.Tail());

    public void Dispose() => _scratch.Dispose();

    private static ILocator FormWithButton(IPage page, string button) =>
        page.Locator("form", new() { Has = page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }) });

    /// <summary>A tab of the project pages (the main navigation has links of the same names).</summary>
    private static ILocator Tab(IPage page, string name) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Project" }).GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    [Fact]
    public async Task AnAdminRunsAProjectInTheBrowserAndAGuestSeesLess()
    {
        var registry = Site.Registry;
        var page = await Site.NewPageAsync();
        await Site.SignInAsync(page, "admin", registry.Password);

        // A name the API refuses, then a good one with a quota, then the same name again.
        await page.GotoAsync("/projects");
        var create = FormWithButton(page, "Create project");
        await create.GetByLabel("Project name").FillAsync("Bad Name");
        await create.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Assertions.Expect(FormWithButton(page, "Create project").GetByRole(AriaRole.Alert)).ToContainTextAsync("project_name must be");

        await FormWithButton(page, "Create project").GetByLabel("Project name").FillAsync("team");
        await page.GetByLabel("Storage limit amount").FillAsync("1");
        await page.GetByLabel("Unit").SelectOptionAsync("GiB");
        await FormWithButton(page, "Create project").GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/projects/team/repositories", StringComparison.Ordinal));
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Project team created");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Private");

        await page.GotoAsync("/projects");
        await FormWithButton(page, "Create project").GetByLabel("Project name").FillAsync("team");
        await FormWithButton(page, "Create project").GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Assertions.Expect(FormWithButton(page, "Create project").GetByRole(AriaRole.Alert)).ToContainTextAsync("project team already exists");
        await Site.ScreenshotAsync(page, "projects-new-error");

        // The list: name, access level, repositories, role.
        await page.GotoAsync("/projects");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = "team", Exact = true }) });
        await Assertions.Expect(row).ToContainTextAsync("Private");
        await Assertions.Expect(row).ToContainTextAsync("Project Admin");
        await Site.ScreenshotAsync(page, "projects-list");

        // An image pushed with skopeo shows in the Repositories tab, with a link to its page (slashes kept).
        var image = await new OciLayoutBuilder(Tools, _scratch.Path)
            .WithFile("/app/hello.txt", Encoding.UTF8.GetBytes("hello from the portal test\n"))
            .BuildAsync();
        await Tools.RunOkAsync("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds", registry.Credentials,
            image.Reference, $"docker://{registry.Host}/team/app/web:1.0"]);
        await page.GotoAsync("/projects/team");
        Assert.EndsWith("/projects/team/repositories", page.Url);
        var repository = page.GetByRole(AriaRole.Link, new() { Name = "team/app/web" });
        await Assertions.Expect(repository).ToHaveAttributeAsync("href", "/projects/team/repositories/app/web");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { Has = repository })).ToContainTextAsync("1");
        await Site.ScreenshotAsync(page, "project-repositories");

        // A member added as Guest in the browser.
        await PortalSite.CreateAsync(Site.AdminApi(), "/users", new { username = "gina", email = "gina@example.org", password = "Gina-Pass1", realname = "Gina" });
        await Tab(page, "Members").ClickAsync();
        await page.WaitForURLAsync("**/projects/team/members");
        await page.GetByLabel("Username").FillAsync("nobody");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add member" }).ClickAsync();
        await Assertions.Expect(FormWithButton(page, "Add member").GetByRole(AriaRole.Alert)).ToContainTextAsync("user nobody not found");
        await page.GetByLabel("Username").FillAsync("gina");
        await page.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Guest" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Add member" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("gina added as Guest");
        await Assertions.Expect(page.GetByLabel("Role of gina")).ToHaveValueAsync("3");
        await Site.ScreenshotAsync(page, "project-members");

        // The guest, in a browser of their own, sees the members but cannot change them, and no robots.
        var guest = await Site.NewPageAsync();
        await Site.SignInAsync(guest, "gina", "Gina-Pass1");
        await guest.GotoAsync("/projects/team/members");
        await Assertions.Expect(guest.GetByRole(AriaRole.Row).Filter(new() { HasText = "gina" })).ToContainTextAsync("Guest");
        await Assertions.Expect(guest.GetByText("Your role:")).ToContainTextAsync("Guest");
        var tabs = guest.GetByRole(AriaRole.Navigation, new() { Name = "Project" });
        await Assertions.Expect(tabs.GetByRole(AriaRole.Link)).ToHaveTextAsync(["Repositories", "Members", "Labels", "Logs", "Summary"]);
        await Assertions.Expect(guest.GetByRole(AriaRole.Button, new() { Name = "Add member" })).ToHaveCountAsync(0);
        await Assertions.Expect(guest.GetByRole(AriaRole.Combobox)).ToHaveCountAsync(0);
        await Assertions.Expect(guest.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^(Change|Remove)") })).ToHaveCountAsync(0);
        await Site.ScreenshotAsync(guest, "project-members-guest");
        await guest.GotoAsync("/projects/team/robots");
        Assert.EndsWith("/projects/team/repositories", guest.Url); // not a page a guest can use
        await Assertions.Expect(guest.GetByRole(AriaRole.Link, new() { Name = "team/app/web" })).ToBeVisibleAsync();
        await Assertions.Expect(guest.Locator("form[method=post]").Filter(new() { HasNotText = "Sign out" })).ToHaveCountAsync(0);

        // A robot account: the secret is on the result page once, and skopeo pushes with it.
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await Tab(page, "Robot accounts").ClickAsync();
        await page.WaitForURLAsync("**/projects/team/robots");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("ci");
        await page.GetByLabel("Description").FillAsync("pushes from <CI>");
        await Assertions.Expect(page.GetByLabel("Pull", new() { Exact = true })).ToBeCheckedAsync();
        await Assertions.Expect(page.GetByLabel("Push", new() { Exact = true })).ToBeCheckedAsync();
        var created = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Create robot account" }).ClickAsync(),
            response => response.Request.Method == "POST" && response.Url.Contains("/robots", StringComparison.Ordinal));
        Assert.Contains("no-store", await created.HeaderValueAsync("cache-control") ?? ""); // the page with the secret is not kept
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Robot account created" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("this is the only time it is shown")).ToBeVisibleAsync();
        var robot = (await page.Locator("#robot-name").TextContentAsync())!.Trim();
        var secret = (await page.Locator("#robot-secret").TextContentAsync())!.Trim();
        Assert.Equal("robot$team+ci", robot);
        Assert.True(secret.Length >= 16, $"secret '{secret}'");
        Assert.DoesNotContain(secret, page.Url);
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy secret" }).ClickAsync();
        Assert.Equal(secret, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = robot })).ToContainTextAsync("pushes from <CI>");
        await Site.ScreenshotAsync(page, "project-robots-secret");

        await Tools.RunOkAsync("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds", $"{robot}:{secret}",
            image.Reference, $"docker://{registry.Host}/team/app/web:robot"]);

        await page.GotoAsync("/projects/team/robots");
        Assert.DoesNotContain(secret, await page.ContentAsync()); // shown once, never again
        await page.GetByRole(AriaRole.Button, new() { Name = $"Disable {robot}" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"{robot} disabled");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = robot })).ToContainTextAsync("Disabled");
        await Site.ScreenshotAsync(page, "project-robots");
        await Tools.RunFailingAsync("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds", $"{robot}:{secret}",
            image.Reference, $"docker://{registry.Host}/team/app/web:disabled"]);

        // A refreshed secret is shown once too, and differs.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Refresh secret of {robot}" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New secret of the robot account" })).ToBeVisibleAsync();
        var refreshed = (await page.Locator("#robot-secret").TextContentAsync())!.Trim();
        Assert.NotEqual(secret, refreshed);

        // Logs: what was done, filterable by operation and user.
        await Tab(page, "Logs").ClickAsync();
        await page.WaitForURLAsync("**/projects/team/logs");
        var logRows = page.GetByRole(AriaRole.Table).GetByRole(AriaRole.Row);
        await Assertions.Expect(logRows.Filter(new() { HasText = "team/app/web:robot" })).ToContainTextAsync(robot);
        await Assertions.Expect(logRows.Filter(new() { HasText = "gina" }).First).ToContainTextAsync("member");
        await page.GetByLabel("Operation").SelectOptionAsync("refresh_secret");
        await page.GetByLabel("User contains").FillAsync("adm");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("operation=refresh_secret", StringComparison.Ordinal));
        await Assertions.Expect(logRows).ToHaveCountAsync(2); // the header and one entry
        await Assertions.Expect(logRows.Nth(1)).ToContainTextAsync("refresh secret");
        await page.GotoAsync("/projects/team/logs");
        await Site.ScreenshotAsync(page, "project-logs");

        // Summary: storage against the 1 GiB quota, repositories, members per role.
        await Tab(page, "Summary").ClickAsync();
        await page.WaitForURLAsync("**/projects/team/summary");
        var usage = page.Locator("#quota-usage");
        await Assertions.Expect(usage).ToContainTextAsync("of 1 GiB");
        var usageText = await usage.InnerTextAsync();
        Assert.False(usageText.StartsWith("0 B used", StringComparison.Ordinal), usageText); // "920 B used" is fine
        await Assertions.Expect(page.Locator("#repo-count")).ToHaveTextAsync("1");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Guest" }).First).ToContainTextAsync("1");
        await Site.ScreenshotAsync(page, "project-summary");

        // The guest's view of the same page has no member management but the same numbers.
        await guest.GotoAsync("/projects/team/summary");
        await Assertions.Expect(guest.Locator("#quota-usage")).ToContainTextAsync("of 1 GiB");

        // The admin makes the guest a developer, then removes them (after a confirmation): the flash says so and the API agrees.
        using var api = Site.AdminApi();
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) => { lock (dialogs) dialogs.Add(dialog.Message); };
        await Tab(page, "Members").ClickAsync();
        await page.WaitForURLAsync("**/projects/team/members");
        await page.GetByLabel("Role of gina").SelectOptionAsync(new SelectOptionValue { Label = "Developer" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Change role of gina" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("gina is now Developer");
        await Assertions.Expect(page.GetByLabel("Role of gina")).ToHaveValueAsync("2");
        var gina = Assert.Single(await MembersAsync(api, "team", "gina"));
        Assert.Equal((2, "developer"), (gina.GetProperty("role_id").GetInt32(), gina.GetProperty("role_name").GetString()!.ToLowerInvariant()));
        lock (dialogs) Assert.Empty(dialogs);

        await page.GetByRole(AriaRole.Button, new() { Name = "Remove gina" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("gina removed from team");
        lock (dialogs) Assert.Equal(["Remove gina from team?"], dialogs);
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "gina" })).ToHaveCountAsync(0);
        Assert.Empty(await MembersAsync(api, "team", "gina"));
        using var asGina = Site.ApiAs("gina", "Gina-Pass1");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await asGina.GetAsync("api/v2.0/projects/team")).StatusCode); // a private project she no longer sees
    }

    private static async Task<List<System.Text.Json.JsonElement>> MembersAsync(HttpClient api, string project, string name)
    {
        var response = await api.GetAsync($"api/v2.0/projects/{project}/members?entityname={name}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET members: {(int)response.StatusCode} {text}");
        return [.. System.Text.Json.JsonDocument.Parse(text).RootElement.EnumerateArray()];
    }

    [Fact]
    public async Task TheProjectPagesFitAPhoneScreen()
    {
        using (var admin = Site.AdminApi())
        {
            foreach (var name in new[] { "alpha", "a-project-with-a-rather-long-name-that-has-to-wrap-somewhere", "gamma" })
                await PortalSite.CreateAsync(admin, "/projects", new { project_name = name, metadata = new { @public = "true" } });
            await PortalSite.CreateAsync(admin, "/robots", new
            {
                name = "a-robot-with-a-long-name-as-well",
                description = "a description long enough to need more than one line on a phone screen",
                level = "project",
                duration = -1,
                permissions = new[] { new { kind = "project", @namespace = "gamma", access = new[] { new { resource = "repository", action = "pull" } } } },
            });
        }
        var page = await Site.NewPageAsync();
        await page.SetViewportSizeAsync(360, 740);
        await Site.SignInAsync(page, "admin", Site.Registry.Password);
        foreach (var (path, shot) in new[]
        {
            ("/projects", "projects-list-phone"), ("/projects/gamma/members", "project-members-phone"),
            ("/projects/gamma/robots", "project-robots-phone"), ("/projects/gamma/logs", "project-logs-phone"),
            ("/projects/gamma/summary", "project-summary-phone"),
        })
        {
            await page.GotoAsync(path);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
            await Site.ScreenshotAsync(page, shot);
            var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
            var (scrollWidth, innerWidth) = (widths[0], widths[1]);
            if (scrollWidth > innerWidth)
            {
                // Name what sticks out (tables scroll in their own boxes, unless something escapes them), for the failure message.
                var wide = await page.EvaluateAsync<string[]>("""
                    () => [...document.querySelectorAll('body *')]
                        .filter(e => (!e.closest('.table-wrap') || getComputedStyle(e).position === 'absolute') && e.getBoundingClientRect().right > window.innerWidth + 1)
                        .slice(0, 8).map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`)
                    """);
                Assert.Fail($"{path}: the page scrolls sideways ({scrollWidth} > {innerWidth} px): {string.Join("; ", wide)}");
            }
        }

        // Paging and search on the list.
        await page.GotoAsync("/projects?page_size=2");
        await Assertions.Expect(page.GetByText("1–2 of 4")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Next →" }).ClickAsync();
        await Assertions.Expect(page.GetByText("3–4 of 4")).ToBeVisibleAsync();
        await page.GetByLabel("Name contains").FillAsync("amm");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "gamma", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("1–1 of 1")).ToBeVisibleAsync();
    }
}
