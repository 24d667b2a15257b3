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
