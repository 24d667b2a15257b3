namespace Registry.Grains.Abstractions;

/// <summary>How a restore from the recycle bin ended.</summary>
[GenerateSerializer, Alias("Registry.RestoreStatus")]
public enum RestoreStatus
{
    Restored,
    /// <summary>No such top-level entry in this repository (or it was purged meanwhile).</summary>
    NotFound,
    /// <summary>The digest is stored again, or a tag it held now names another artifact.</summary>
    Conflict,
    /// <summary>Re-charging the project's quota would exceed its limit.</summary>
    QuotaExceeded,
    /// <summary>A blob or child manifest it references is no longer stored.</summary>
    Gone,
}

[GenerateSerializer, Immutable, Alias("Registry.RestoreResult")]
public sealed record RestoreResult(
    [property: Id(0)] RestoreStatus Status,
    [property: Id(1)] string? Detail,
    [property: Id(2)] Digest? Digest = null);

/// <summary>
/// Purges recycle bin entries once they expire, on a reminder (one activation in the cluster).
/// </summary>
[Alias("Registry.IRecycleBinSweeperGrain")]
public interface IRecycleBinSweeperGrain : IGrainWithStringKey
{
    public const string Key = "recyclebin";

    /// <summary>Purges the entries expired at the grain's clock's now; returns how many entries went.</summary>
    [Alias("PurgeExpired")]
    Task<int> PurgeExpiredAsync();

    /// <summary>Purges expired entries every <paramref name="interval"/> on a reminder; idempotent, every node calls it at start.</summary>
    [Alias("Schedule")]
    Task ScheduleAsync(TimeSpan interval);
}
