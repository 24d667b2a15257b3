using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.Json;
using System.Text;
using Registry.Api.Hosting;
using Registry.Api.Webhooks;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Api.Management;

/// <summary>Harbor's purge parameters: entries older than <see cref="AuditRetentionHour"/> hours, of the operations listed (comma-separated; all when empty).</summary>
public sealed record AuditPurgeParameters(
    [property: JsonPropertyName("audit_retention_hour")] int AuditRetentionHour,
    [property: JsonPropertyName("include_operations")] string IncludeOperations,
    [property: JsonPropertyName("dry_run")] bool DryRun)
{
    public static readonly AuditPurgeParameters Default = new(24 * 30, "", false);

    public IReadOnlyList<string> Operations =>
        [.. IncludeOperations.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(o => o.ToLowerInvariant()).Distinct()];

    public string ToJson() => JsonSerializer.Serialize(this);

    public static AuditPurgeParameters FromJson(string json)
    {
        try { return JsonSerializer.Deserialize<AuditPurgeParameters>(json) ?? Default; }
        catch (JsonException) { return Default; }
    }
}

/// <summary>
/// Purges the audit log on Harbor's schedule object (<c>/system/purgeaudit/schedule</c>) or on
/// demand, keeping each run's history and log. The same run drops outbox events every reader has
/// seen that are more than a day old, and finished webhook deliveries older than 30 days. Every
/// node ticks once a minute; a scheduled occurrence is claimed in the database, so it runs once.
/// </summary>
public sealed class AuditPurgeService(IAuditPurgeStore store, IOutbox outbox, IWebhookStore webhooks, TimeProvider clock, ILogger<AuditPurgeService> logger)
    : BackgroundService
{
    public const string Manual = "MANUAL";
    public const string Schedule = "SCHEDULE";

    /// <summary>Runs the scheduled purge if an occurrence is due; the run, or null. Tests call it with a fake clock.</summary>
    public async Task<AuditPurgeRecord?> RunDueAsync(CancellationToken cancellationToken = default)
    {
        var schedule = await store.GetScheduleAsync(cancellationToken);
        var now = clock.GetUtcNow();
        if (schedule?.NextRunAt is not { } due || due > now) return null;
        var next = new JobSchedule(schedule.Type, schedule.Cron).NextAfter(now);
        if (!await store.ClaimRunAsync(due, next, cancellationToken)) return null;
        return await RunAsync(Schedule, AuditPurgeParameters.FromJson(schedule.Parameters), cancellationToken);
    }

    /// <summary>One purge run, recorded in the history.</summary>
    public async Task<AuditPurgeRecord> RunAsync(string trigger, AuditPurgeParameters parameters, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var run = await store.StartAsync(trigger, parameters.ToJson(), now, cancellationToken);
        var log = new StringBuilder();
        void Log(string line) => log.Append(clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)).Append(' ').Append(line).Append('\n');
        var status = "Success";
        long deleted = 0;
        try
        {
            var cutoff = now.AddHours(-parameters.AuditRetentionHour);
            var operations = parameters.Operations;
            Log($"purging audit log entries before {cutoff.UtcDateTime:u} for {(operations.Count == 0 ? "every operation" : string.Join(", ", operations))}{(parameters.DryRun ? " (dry run)" : "")}");
            deleted = await store.PurgeAuditAsync(cutoff, operations, parameters.DryRun, cancellationToken);
            Log(parameters.DryRun ? $"{deleted} entries would be deleted" : $"{deleted} entries deleted");
            if (!parameters.DryRun)
            {
                var seen = await webhooks.CursorAsync(WebhookDispatcher.Reader, cancellationToken);
                var events = await outbox.PurgeAsync(now.AddDays(-1), seen, cancellationToken);
                var jobs = await webhooks.PurgeJobsAsync(now.AddDays(-30), cancellationToken);
                Log($"{events} delivered outbox events older than a day and {jobs} finished webhook executions older than 30 days deleted");
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            status = "Error";
            Log("failed: " + e.Message);
            logger.LogWarning(e, "Audit log purge {Id} failed", run.Id);
        }
        await store.FinishAsync(run.Id, status, deleted, log.ToString(), clock.GetUtcNow(), cancellationToken);
        return await store.GetAsync(run.Id, cancellationToken) ?? run;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(TimeSpan.FromMinutes(1), clock, RunDueAsync, logger, "Checking the audit log purge schedule failed", stoppingToken);
}
