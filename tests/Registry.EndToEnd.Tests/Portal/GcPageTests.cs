using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Registry.EndToEnd.Tests.Portal;

/// <summary>The admin Garbage collection page: a dry run started and its log read, the schedule saved and refused.</summary>
public sealed class GcPageTests(ITestOutputHelper output) : PortalTest(output)
{
    [Fact]
    public async Task AnAdminRunsADryRunReadsItsLogAndSchedulesNightlyCollection()
    {
        var page = await Site.NewPageAsync();
        await Site.SignInAsync(page, "admin", Site.Registry.Password);
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Garbage collection" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Garbage collection", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByText("No garbage collection has run yet.")).ToBeVisibleAsync();

        var run = page.Locator("#gc-run");
        await run.GetByLabel("Dry run (report only, delete nothing)").CheckAsync();
        await run.GetByLabel("Workers").FillAsync("2");
        await run.GetByRole(AriaRole.Button, new() { Name = "Run garbage collection" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToHaveTextAsync("Dry run started.");
        var row = page.Locator("#gc-history tbody tr").First;
        await Expect(row).ToContainTextAsync("dry run, 2 workers");
        for (var i = 0; i < 50 && !(await row.InnerTextAsync()).Contains("Success"); i++)
        {
            await Task.Delay(100);
            await page.ReloadAsync();
        }
        await Expect(row).ToContainTextAsync("Success");
        await Site.ScreenshotAsync(page, "admin-gc");

        var logHref = await row.GetByRole(AriaRole.Link, new() { Name = "Log" }).GetAttributeAsync("href");
        var log = await page.Context.NewPageAsync();
        await log.GotoAsync(logHref!);
        await Expect(log.Locator("body")).ToContainTextAsync("dry_run=True");
        await Expect(log.Locator("body")).ToContainTextAsync("dry run: would free");
        await log.CloseAsync();

        var schedule = page.Locator("#gc-schedule");
        await schedule.GetByLabel("Schedule", new() { Exact = true }).SelectOptionAsync("Custom");
        await schedule.GetByLabel("Cron (six fields, seconds first)").FillAsync("every night");
        await schedule.GetByRole(AriaRole.Button, new() { Name = "Save schedule" }).ClickAsync();
        await Expect(page.Locator("#gc-schedule [data-valmsg-for='Schedule.Cron']")).ToContainTextAsync("invalid cron");

        await schedule.GetByLabel("Cron (six fields, seconds first)").FillAsync("0 0 3 * * *");
        await schedule.GetByRole(AriaRole.Button, new() { Name = "Save schedule" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToHaveTextAsync("Schedule saved.");
        await Expect(page.Locator("#gc-next")).ToContainTextAsync("03:00 UTC");
        await Expect(schedule.GetByLabel("Schedule", new() { Exact = true })).ToHaveValueAsync("Custom");
        Site.AssertNoJavaScriptErrors();
    }
}
