using System.Text;
using Microsoft.Extensions.Logging;
using Registry.Grains.Abstractions;
using Registry.Grains.Manifests;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Grains.Grains;

/// <summary>
/// One retention policy's executions. An execution walks the project's repositories; for each one
/// some rule applies to, it evaluates the rules (<see cref="RetentionEvaluator"/>) over the
/// repository's artifacts and, unless it is a dry run, deletes by digest through the repository
/// grain what no rule retains (with the children of an index nothing else holds, and its
/// accessories). A deletion the repository refuses (an immutable tag) counts as retained.
/// </summary>
internal sealed class RetentionGrain(IRetentionStore store, IIdentityStore identities, IArtifactQueries artifacts, IOutbox outbox,
    TimeProvider clock, ILogger<RetentionGrain> logger) : Grain, IRetentionGrain
{
    public const string Operator = "retention";

    private Task? _running;
    private long _executionId;
    private volatile bool _stop;

    async Task<long> IRetentionGrain.StartAsync(bool dryRun, string trigger, string @operator)
    {
        if (_running is { IsCompleted: false }) return 0;
        var policyId = this.GetPrimaryKeyLong();
        var policy = await store.GetPolicyAsync(policyId) ?? throw new InvalidOperationException($"retention policy {policyId} does not exist");
        // Executions recorded as running with no runner here were cut off (a node stopped): they failed.
        await store.FailRunningAsync(policyId, clock.GetUtcNow());
        var execution = await store.CreateExecutionAsync(policyId, trigger, dryRun, @operator, clock.GetUtcNow());
        _executionId = execution.Id;
        _stop = false;
        DelayDeactivation(TimeSpan.FromHours(1));
        _running = RunAsync(policy, execution);
        return execution.Id;
    }

    Task<bool> IRetentionGrain.StopAsync(long executionId)
    {
        if (_running is not { IsCompleted: false } || executionId != _executionId) return Task.FromResult(false);
        _stop = true;
        return Task.FromResult(true);
    }

    async Task IRetentionGrain.WaitIdleAsync()
    {
        if (_running is { } running) await running;
    }

    private async Task RunAsync(RetentionPolicyRecord record, RetentionExecutionRecord execution)
    {
        await Task.Yield();
        string status = RetentionStatus.Succeed;
        int total = 0, retained = 0, deleted = 0;
        ProjectRecord? project = null;
        try
        {
            var policy = RetentionPolicy.FromJson(record.Policy);
            project = await identities.GetProjectByIdAsync(record.ProjectId) ?? throw new InvalidOperationException($"project {record.ProjectId} does not exist");
            var repositories = await artifacts.ListRepositoriesAsync(ListQuery.All, [project.Name]);
            foreach (var repository in repositories.Items.OrderBy(r => r.Name, StringComparer.Ordinal))
            {
                if (_stop) { status = RetentionStatus.Stopped; break; }
                var rules = RetentionEvaluator.RulesFor(policy, repository.Name[(project.Name.Length + 1)..]);
                if (rules.Count == 0) continue;
                var result = await RunRepositoryAsync(execution, repository.Name, rules);
                total += result.Total;
                retained += result.Retained;
                deleted += result.Deleted;
                if (result.Status != RetentionStatus.Succeed) status = result.Status;
                if (status == RetentionStatus.Stopped) break;
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Retention execution {Execution} of policy {Policy} failed", execution.Id, record.Id);
            status = RetentionStatus.Failed;
        }
        await store.FinishExecutionAsync(execution.Id, status, clock.GetUtcNow());
        if (project is not null)
        {
            await outbox.AppendAsync([new RegistryEvent(EventTypes.TagRetention, clock.GetUtcNow(), execution.Operator, project.Id, project.Name,
                Detail: new Dictionary<string, string>
                {
                    ["execution_id"] = execution.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["total"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["retained"] = retained.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["deleted"] = deleted.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["dry_run"] = execution.DryRun ? "true" : "false",
                    ["status"] = status,
                })]);
        }
    }

    private sealed record RepositoryResult(string Status, int Total, int Retained, int Deleted);

    private async Task<RepositoryResult> RunRepositoryAsync(RetentionExecutionRecord execution, string repository, IReadOnlyList<RetentionRule> rules)
    {
        var taskId = await store.CreateTaskAsync(execution.Id, repository, clock.GetUtcNow());
        var log = new StringBuilder();
        var status = RetentionStatus.Succeed;
        int total = 0, retained = 0, deleted = 0;
        try
        {
            var page = await artifacts.ListArtifactsAsync(repository, ListQuery.All);
            var candidates = page.Items.Select(a => new RetentionCandidate(a.Digest, [.. a.Tags.Select(t => t.Name)],
                a.Tags.Select(t => t.PushedAt).Append(a.PushedAt).Max(),
                a.Tags.Select(t => t.PulledAt).Append(a.PulledAt).Max(),
                [.. (a.Labels ?? []).Select(l => l.Name)])).ToList();
            total = candidates.Count;
            var now = clock.GetUtcNow();
            var keep = RetentionEvaluator.Retained(rules, candidates, now);
            log.AppendLine($"Repository {repository}: {total} artifacts, {rules.Count} rules apply{(execution.DryRun ? " (dry run: nothing is deleted)" : "")}");
            log.AppendLine($"{"Digest",-71} | {"Tags",-30} | {"Pushed",-20} | {"Pulled",-20} | Result");
            var grain = GrainFactory.GetGrain<IRepositoryGrain>(repository);
            foreach (var candidate in candidates.OrderByDescending(c => c.PushedAt))
            {
                string result;
                if (keep.TryGetValue(candidate.Digest, out var why)) { retained++; result = $"RETAIN ({why})"; }
                else if (_stop) { status = RetentionStatus.Stopped; retained++; result = "RETAIN (stopped)"; }
                else if (execution.DryRun) { deleted++; result = "DEL (dry run)"; }
                else
                {
                    var refusal = await DeleteAsync(grain, candidate.Digest);
                    if (refusal is null) { deleted++; result = "DEL"; }
                    else { retained++; result = $"RETAIN (deletion refused: {refusal})"; }
                }
                log.AppendLine($"{candidate.Digest,-71} | {Truncate(string.Join(",", candidate.Tags), 30),-30} | {candidate.PushedAt:yyyy-MM-dd HH:mm:ss} | {(candidate.PulledAt is { } p ? p.ToString("yyyy-MM-dd HH:mm:ss") : "never"),-20} | {result}");
            }
            log.AppendLine($"Total {total}, retained {retained}, {(execution.DryRun ? "would delete" : "deleted")} {deleted}");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Retention of {Repository} failed", repository);
            log.AppendLine($"Failed: {e.Message}");
            status = RetentionStatus.Failed;
        }
        await store.FinishTaskAsync(taskId, status, total, retained, log.ToString(), clock.GetUtcNow());
        return new RepositoryResult(status, total, retained, deleted);
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";

    /// <summary>
    /// Deletes the artifact by digest with its accessories and the children nothing else holds;
    /// returns null when it is gone, else why the repository refused.
    /// </summary>
    private static async Task<string?> DeleteAsync(IRepositoryGrain grain, Digest digest)
    {
        try
        {
            // The repository moves the artifact to the recycle bin with its accessories and the
            // index children nothing else holds, in one transaction, as any delete by digest.
            await grain.DeleteManifestAsync(digest.ToString(), Operator);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return e.Message;
        }
    }
}

/// <summary>Starts the retention policies whose cron fired since they last ran, on a reminder every minute.</summary>
internal sealed class RetentionSchedulerGrain(IRetentionStore store, TimeProvider clock, ILogger<RetentionSchedulerGrain> logger)
    : Grain, IRetentionSchedulerGrain, IRemindable
{
    public const string ReminderName = "retention-schedule";

    Task IRetentionSchedulerGrain.ScheduleAsync() =>
        this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ReminderName) await ((IRetentionSchedulerGrain)this).RunDueAsync();
    }

    async Task<int> IRetentionSchedulerGrain.RunDueAsync()
    {
        var now = clock.GetUtcNow();
        var started = 0;
        foreach (var policy in await store.ListScheduledAsync())
        {
            var next = new JobSchedule("Custom", policy.Cron).NextAfter(policy.ScheduledAt);
            if (next is null || next > now) continue;
            // Only one node records the firing; missed firings while down count as one run.
            if (!await store.MarkScheduledAsync(policy.Id, policy.ScheduledAt, now)) continue;
            var execution = await GrainFactory.GetGrain<IRetentionGrain>(policy.Id).StartAsync(false, "SCHEDULE", "retention-scheduler");
            if (execution > 0) started++;
            else logger.LogInformation("Retention policy {Policy} is still running; its scheduled run at {Time} is skipped", policy.Id, next);
        }
        return started;
    }
}
