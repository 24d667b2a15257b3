using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Registry.EndToEnd.Tests.Portal;

public sealed class SignInTests(ITestOutputHelper output) : PortalTest(output)
{
    [Fact]
    public async Task AWrongPasswordShowsAMessageAndTheRightOneSignsInAndOut()
    {
        var page = await Site.NewPageAsync();
        await page.GotoAsync("/projects");
        Assert.Contains("/account/login", page.Url); // pages need a session
        await page.GetByLabel("Username").FillAsync("admin");
        await page.GetByLabel("Password").FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Wrong username or password");
        await Site.ScreenshotAsync(page, "sign-in-error");

        await Site.SignInAsync(page, "admin", Site.Registry.Password);
        await Assertions.Expect(page.GetByText("Signed in as")).ToContainTextAsync("admin");
        var cookies = await page.Context.CookiesAsync();
        var session = Assert.Single(cookies, c => c.Name == "registry.session");
        Assert.True(session.HttpOnly);
        Assert.DoesNotContain(Site.Registry.Password, session.Value);

        var headers = (await page.GotoAsync("/account/login"))!.Headers;
        Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"]);
        Assert.DoesNotContain("unsafe-inline", headers["content-security-policy"]);

        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/account/login"));
        await page.GotoAsync("/projects");
        Assert.Contains("/account/login", page.Url);
    }

    /// <summary>
    /// A form post with the session cookie (and the anti-forgery cookie) but without the token of
    /// the page, as a cross-site form would send it, is refused with 400 and changes nothing; the
    /// same post with the token goes through.
    /// </summary>
    [Fact]
    public async Task APostWithoutTheAntiForgeryTokenIsRefused()
    {
        using (var admin = Site.AdminApi())
        {
            await PortalSite.CreateAsync(admin, "/projects", new { project_name = "forms", metadata = new { @public = "false" } });
            await PortalSite.CreateAsync(admin, "/users", new { username = "max", email = "max@example.org", password = "Max-Pass1", realname = "Max" });
        }
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = Site.PortalAddress };

        var signIn = await http.PostAsync("account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Username"] = "admin", ["Password"] = Site.Registry.Password, ["__RequestVerificationToken"] = await TokenOfAsync(http, "account/login"),
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Contains(handler.CookieContainer.GetCookies(Site.PortalAddress), c => c.Name == "registry.session");

        var token = await TokenOfAsync(http, "projects/forms/members");
        Dictionary<string, string> AddMax() => new() { ["NewMember.Username"] = "max", ["NewMember.RoleId"] = "3" };

        using var forged = await http.PostAsync("projects/forms/members?handler=Add", new FormUrlEncodedContent(AddMax()));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.False(await IsMemberAsync("max"), "a post without the token added a member");

        var withWrongToken = AddMax();
        withWrongToken["__RequestVerificationToken"] = "CfDJ8-not-a-token";
        using var wrong = await http.PostAsync("projects/forms/members?handler=Add", new FormUrlEncodedContent(withWrongToken));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.False(await IsMemberAsync("max"), "a post with a made-up token added a member");

        var withToken = AddMax();
        withToken["__RequestVerificationToken"] = token;
        using var genuine = await http.PostAsync("projects/forms/members?handler=Add", new FormUrlEncodedContent(withToken));
        Assert.Equal(HttpStatusCode.Redirect, genuine.StatusCode);
        Assert.True(await IsMemberAsync("max"), "the post with the token did not add the member");
    }

    /// <summary>The anti-forgery token in the page's forms (GET sets the matching cookie).</summary>
    private static async Task<string> TokenOfAsync(HttpClient http, string path)
    {
        var html = await http.GetStringAsync(path);
        var match = Regex.Match(html, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"");
        Assert.True(match.Success, $"no anti-forgery token on {path}");
        return match.Groups[1].Value;
    }

    private async Task<bool> IsMemberAsync(string user)
    {
        using var admin = Site.AdminApi();
        var members = await admin.GetStringAsync($"api/v2.0/projects/forms/members?entityname={user}");
        return members.Contains($"\"entity_name\":\"{user}\"", StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheKeyboardAloneSignsInReachesAProjectAndSignsOut()
    {
        var page = await Site.NewPageAsync();
        await page.GotoAsync("/account/login");
        // The username field has focus; Tab moves to the password, Enter submits.
        await page.Keyboard.TypeAsync("admin");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(Site.Registry.Password);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => url.EndsWith("/projects"));

        // Tab through the page until the library link has focus, then follow it with Enter.
        for (var i = 0; i < 40; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<string>("() => document.activeElement?.textContent?.trim() ?? ''");
            if (focused == "library") break;
        }
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => url.Contains("/projects/library"));

        // Focus is visible (an outline) wherever it lands.
        await page.Keyboard.PressAsync("Tab");
        var outline = await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle");
        Assert.NotEqual("none", outline);
    }
}
