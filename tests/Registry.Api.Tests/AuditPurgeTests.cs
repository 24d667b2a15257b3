using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Registry.Api.Management;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Api.Tests;

/// <summary>
/// The audit-log purge: Harbor's schedule API, a scheduled run driven by a fake clock (once per
/// occurrence), retention hours and the operations filter, dry runs, history and logs.
/// </summary>
public sealed class AuditPurgeTests : IAsyncLifetime
{
    private readonly RegistryFactory _registry = new();

    private sealed class FakeClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    private HarborApi Admin => _registry.AdminApi;

    private IAuditPurgeStore Store => _registry.Services.GetRequiredService<IAuditPurgeStore>();

    private async Task SeedAsync(DateTimeOffset now, string marker)
    {
        await Store.AppendAuditAsync(
        [
            new AuditRecord(0, null, "old-" + marker, "p/a:1", "artifact", "pull", "success", now.AddHours(-48)),
            new AuditRecord(0, null, "old-" + marker, "p/a:1", "artifact", "create", "success", now.AddHours(-48)),
            new AuditRecord(0, null, "new-" + marker, "p/a:1", "artifact", "pull", "success", now.AddHours(-1)),
        ]);
    }

    private async Task<string[]> UsersAsync(string marker) =>
        [.. (await Admin.JsonAsync($"/audit-logs?q=username=~{marker}&page_size=100")).EnumerateArray()
            .Select(e => e.GetProperty("username").GetString() + ":" + e.GetProperty("operation").GetString()).Order()];

    [Fact]
    public async Task AScheduledPurgeRunsOncePerOccurrenceAndDeletesOnlyOldEntriesOfTheOperationsNamed()
    {
        await Expect.StatusAsync(await Admin.PostAsync("/system/purgeaudit/schedule", new
        {
            schedule = new { type = "Custom", cron = "0 0 3 * * *" },
            parameters = new { audit_retention_hour = 24, include_operations = "pull", dry_run = false },
        }), HttpStatusCode.Created);
        var schedule = await Admin.JsonAsync("/system/purgeaudit/schedule");
        Assert.Equal("Custom", schedule.GetProperty("schedule").GetProperty("type").GetString());
        var next = schedule.GetProperty("schedule").GetProperty("next_scheduled_time").GetDateTimeOffset();
        Assert.Equal(3, next.UtcDateTime.Hour);
        Assert.Contains("\"include_operations\":\"pull\"", schedule.GetProperty("job_parameters").GetString());
        // Entries aged from the run's time, not today's: an hour before 03:00 is not an hour before now.
        await SeedAsync(next, "sched");

        var clock = new FakeClock(next.AddSeconds(-1));
        var purge = new AuditPurgeService(Store, _registry.Services.GetRequiredService<IOutbox>(), _registry.Services.GetRequiredService<IWebhookStore>(),
            clock, NullLogger<AuditPurgeService>.Instance);
        Assert.Null(await purge.RunDueAsync()); // not yet
        clock.Now = next.AddSeconds(1);
        var run = await purge.RunDueAsync();
        Assert.NotNull(run);
        Assert.Equal("Success", run.Status);
        Assert.Equal("SCHEDULE", run.Trigger);
        Assert.Null(await purge.RunDueAsync()); // the occurrence is taken
        Assert.Equal(next.AddDays(1), (await Store.GetScheduleAsync())!.NextRunAt);

        // Old pulls went; the old create (another operation) and the recent pull stayed.
        Assert.Equal(["new-sched:pull", "old-sched:create"], await UsersAsync("sched"));
        var history = await Admin.JsonAsync("/system/purgeaudit");
        var entry = history.EnumerateArray().Single(h => h.GetProperty("id").GetInt64() == run.Id);
        Assert.Equal("PURGE_AUDIT", entry.GetProperty("job_name").GetString());
        Assert.Equal("SCHEDULE", entry.GetProperty("job_kind").GetString());
        Assert.Equal("Success", entry.GetProperty("job_status").GetString());
        var log = await (await Admin.GetAsync($"/system/purgeaudit/{run.Id}/log")).Content.ReadAsStringAsync();
        Assert.Contains("1 entries deleted", log);
    }

    [Fact]
    public async Task AManualRunPurgesAtOnceAndADryRunOnlyCounts()
    {
        var now = DateTimeOffset.UtcNow;
        await SeedAsync(now, "manual");
        var dry = await Admin.PostAsync("/system/purgeaudit/schedule", new
        {
            schedule = new { type = "Manual" },
            parameters = new { audit_retention_hour = "24", include_operations = "", dry_run = "true" },
        });
        await Expect.StatusAsync(dry, HttpStatusCode.Created);
        var dryId = long.Parse(dry.Headers.Location!.ToString().Split('/')[^1]);
        Assert.Contains("2 entries would be deleted", await (await Admin.GetAsync($"/system/purgeaudit/{dryId}/log")).Content.ReadAsStringAsync());
        Assert.Equal(3, (await UsersAsync("manual")).Length);

        await Admin.CreateAsync("/system/purgeaudit/schedule", new { schedule = new { type = "Manual" }, parameters = new { audit_retention_hour = 24 } });
        Assert.Equal(["new-manual:pull"], await UsersAsync("manual"));
        var status = await Admin.JsonAsync($"/system/purgeaudit/{dryId}");
        Assert.Equal("MANUAL", status.GetProperty("job_kind").GetString());
        // Stopping a finished run changes nothing.
        await Expect.StatusAsync(await Admin.PutAsync($"/system/purgeaudit/{dryId}", null), HttpStatusCode.OK);
        Assert.Equal("Success", (await Admin.JsonAsync($"/system/purgeaudit/{dryId}")).GetProperty("job_status").GetString());
    }

    [Fact]
    public async Task BadSchedulesAreA400AndOnlyAdminsManageThePurge()
    {
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/system/purgeaudit/schedule", new { schedule = new { type = "Custom", cron = "every day" } }), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/system/purgeaudit/schedule", new { schedule = new { type = "Sometimes" } }), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PutAsync("/system/purgeaudit/schedule",
            new { schedule = new { type = "Daily" }, parameters = new { audit_retention_hour = -3 } }), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/system/purgeaudit/999999"), HttpStatusCode.NotFound);

        var user = "u" + Guid.NewGuid().ToString("N")[..8];
        var (_, password) = await Admin.CreateUserAsync(user);
        await HarborExpect.ErrorAsync(await _registry.Api(user, password).GetAsync("/system/purgeaudit"), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await _registry.AnonymousApi.GetAsync("/system/purgeaudit/schedule"), HttpStatusCode.Unauthorized);

        await Expect.StatusAsync(await Admin.PutAsync("/system/purgeaudit/schedule", new { schedule = new { type = "None" } }), HttpStatusCode.OK);
        var schedule = await Admin.JsonAsync("/system/purgeaudit/schedule");
        Assert.Equal("None", schedule.GetProperty("schedule").GetProperty("type").GetString());
        Assert.False(schedule.GetProperty("schedule").TryGetProperty("next_scheduled_time", out _));
        var audit = await Admin.JsonAsync("/audit-logs?q=resource_type=schedule");
        Assert.Equal("update", audit[0].GetProperty("operation").GetString());
    }

    [Fact]
    public async Task UnlinkingABlobFromARepositoryIsAudited()
    {
        await Admin.CreateProjectAsync("unlink");
        var blob = await _registry.Admin.PushBlobAsync("unlink/app", Oci.RandomBytes());
        await Expect.StatusAsync(await _registry.Admin.DeleteAsync($"/v2/unlink/app/blobs/{blob.Digest}"), HttpStatusCode.Accepted);
        var entry = (await Admin.JsonAsync("/projects/unlink/logs?q=resource_type=blob"))[0];
        Assert.Equal(("delete", $"unlink/app@{blob.Digest}", "admin"),
            (entry.GetProperty("operation").GetString(), entry.GetProperty("resource").GetString(), entry.GetProperty("username").GetString()));
    }
}
