namespace Registry.Grains.Abstractions;

/// <summary>
/// Runs one retention policy (key: the policy id): one execution at a time, in the background,
/// recording a task with a log per repository; an execution can be stopped between artifacts.
/// </summary>
[Alias("Registry.IRetentionGrain")]
public interface IRetentionGrain : IGrainWithIntegerKey
{
    /// <summary>Starts an execution and returns its id, or 0 when one is already running.</summary>
    [Alias("Start")]
    Task<long> StartAsync(bool dryRun, string trigger, string @operator);

    /// <summary>Asks the running execution to stop; false when <paramref name="executionId"/> is not running here.</summary>
    [Alias("Stop")]
    Task<bool> StopAsync(long executionId);

    /// <summary>Completes when no execution is running (for callers that need the result, such as tests).</summary>
    [Alias("WaitIdle")]
    Task WaitIdleAsync();
}

/// <summary>
/// Starts scheduled retention executions when their cron is due. One activation per cluster,
/// ticked by a reminder every minute; <see cref="RunDueAsync"/> can be called directly (tests use a fake clock).
/// </summary>
[Alias("Registry.IRetentionSchedulerGrain")]
public interface IRetentionSchedulerGrain : IGrainWithStringKey
{
    public const string Key = "retention";

    /// <summary>Registers the reminder; idempotent, every node calls it at start.</summary>
    [Alias("Schedule")]
    Task ScheduleAsync();

    /// <summary>Starts every policy whose schedule fired since it last ran; returns how many were started.</summary>
    [Alias("RunDue")]
    Task<int> RunDueAsync();
}
