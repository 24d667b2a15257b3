namespace Registry.Grains.Abstractions;

[GenerateSerializer, Immutable, Alias("Registry.UploadSweepResult")]
public sealed record UploadSweepResult(
    [property: Id(0)] int SessionsClosed,
    [property: Id(1)] int FilesDeleted,
    [property: Id(2)] long BytesFreed);

/// <summary>
/// Removes abandoned uploads: sessions and stored bytes untouched since a cutoff, and bytes left
/// without a session (a monolithic push cut off by a crash). One activation in the cluster, so
/// sweeps triggered by several nodes never overlap.
/// </summary>
[Alias("Registry.IUploadSweeperGrain")]
public interface IUploadSweeperGrain : IGrainWithStringKey
{
    public const string Key = "uploads";

    [Alias("Sweep")]
    Task<UploadSweepResult> SweepAsync(DateTimeOffset cutoff);

    /// <summary>
    /// Sweeps every <paramref name="interval"/> the uploads untouched for <paramref name="timeout"/>,
    /// on a reminder: the schedule is kept by the cluster's reminder service (Redis in a cluster),
    /// so it survives restarts and runs on whichever node hosts the sweeper. Idempotent; every
    /// node calls it at start.
    /// </summary>
    [Alias("Schedule")]
    Task ScheduleAsync(TimeSpan interval, TimeSpan timeout);
}
