namespace Registry.Grains.Abstractions;

/// <summary>What an upload session knows: its repository, how many bytes are stored, since when.</summary>
[GenerateSerializer, Immutable, Alias("Registry.UploadState")]
public sealed record UploadState(
    [property: Id(0)] string Repository,
    [property: Id(1)] long Offset,
    [property: Id(2)] DateTimeOffset StartedAt);

/// <summary>
/// Permission to append at <see cref="Offset"/>. Only one writer holds a lease at a time, so
/// chunks can never interleave; the lease id proves who may report the new size.
/// </summary>
[GenerateSerializer, Immutable, Alias("Registry.UploadLease")]
public sealed record UploadLease(
    [property: Id(0)] OciErrorCode? Error,
    [property: Id(1)] Guid LeaseId,
    [property: Id(2)] long Offset)
{
    /// <summary>How long a lease lasts without renewal; a writer renews it every <see cref="RenewEvery"/> while it streams.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(30);
}
