namespace Registry.Grains.Abstractions;

/// <summary>
/// What an upload session knows: its repository, how many bytes are stored, since when, and —
/// when a completing PUT stored the blob but failed before linking it — which blob that was, so
/// the client's retried PUT only links it.
/// </summary>
[GenerateSerializer, Immutable, Alias("Registry.UploadState")]
public sealed record UploadState(
    [property: Id(0)] string Repository,
    [property: Id(1)] long Offset,
    [property: Id(2)] DateTimeOffset StartedAt,
    [property: Id(3)] Digest? Committed = null);

/// <summary>
/// Permission to append at <see cref="Offset"/>. Only one writer holds a lease at a time, so
/// chunks can never interleave; the lease id proves who may report the new size. When
/// <see cref="Committed"/> is set the bytes are already stored as that blob: only a PUT
/// naming it may finish the session.
/// </summary>
[GenerateSerializer, Immutable, Alias("Registry.UploadLease")]
public sealed record UploadLease(
    [property: Id(0)] OciErrorCode? Error,
    [property: Id(1)] Guid LeaseId,
    [property: Id(2)] long Offset,
    [property: Id(3)] Digest? Committed = null)
{
    /// <summary>How long a lease lasts without renewal; a writer renews it every <see cref="RenewEvery"/> while it streams.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(30);
}
