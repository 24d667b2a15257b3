using Orleans.Concurrency;

namespace Registry.Grains.Abstractions;

/// <summary>Harbor's GC job parameters; <see cref="TimeWindowHours"/> protects blobs linked that recently (default 2).</summary>
[GenerateSerializer, Immutable, Alias("Registry.GcParameters")]
public sealed record GcParameters(
    [property: Id(0)] bool DryRun,
    [property: Id(1)] bool DeleteUntagged,
    [property: Id(2)] int Workers,
    [property: Id(3)] int TimeWindowHours = GcParameters.DefaultTimeWindowHours)
{
    public const int DefaultTimeWindowHours = 2;
    public const int MaxWorkers = 5;
}

/// <summary>
/// The garbage collector: one activation in the cluster, so runs never overlap. A run works in the
/// background of the activation (the API polls its history row); a reminder ticking every minute
/// starts the scheduled run when it is due.
/// </summary>
[Alias("Registry.IGcGrain")]
public interface IGcGrain : IGrainWithStringKey
{
    public const string Key = "gc";

    /// <summary>Starts a run (job kind MANUAL or SCHEDULE) and returns its id; null when one is already running.</summary>
    [Alias("Start")]
    Task<long?> StartAsync(GcParameters parameters, string jobKind);

    /// <summary>Asks run <paramref name="id"/> to stop; false when it is not the running one.</summary>
    [AlwaysInterleave, Alias("Stop")]
    Task<bool> StopAsync(long id);

    /// <summary>Completes when run <paramref name="id"/> has ended (at once if it is not running).</summary>
    [AlwaysInterleave, Alias("Wait")]
    Task WaitAsync(long id);

    /// <summary>Saves the schedule (its next time computed from now) and keeps the reminder only while something is scheduled.</summary>
    [Alias("SetSchedule")]
    Task SetScheduleAsync(string type, string? cron, GcParameters parameters);

    /// <summary>Starts the scheduled run if it is due at <paramref name="now"/> (what the reminder calls; tests pass a fake time); returns its id.</summary>
    [Alias("RunDue")]
    Task<long?> RunDueAsync(DateTimeOffset now);
}
