namespace Registry.Grains.Abstractions;

/// <summary>
/// Owns one blob upload (key: upload id). It never sees bytes: writers take a lease, stream into
/// the blob store themselves and report the new size.
/// </summary>
[Alias("Registry.IUploadSessionGrain")]
public interface IUploadSessionGrain : IGrainWithStringKey
{
    [Alias("Start")]
    Task<UploadState> StartAsync(string repository);

    /// <summary>The session's state, or null when unknown or when it belongs to another repository.</summary>
    [Alias("GetState")]
    Task<UploadState?> GetStateAsync(string repository);

    /// <summary>
    /// Leases the session for appending; <paramref name="expectedOffset"/> must match when given.
    /// <paramref name="writer"/> is the silo whose node streams the bytes: a lease held by a silo
    /// the cluster has declared dead is taken over at once instead of waiting for it to time out.
    /// </summary>
    [Alias("BeginWrite")]
    Task<UploadLease> BeginWriteAsync(string repository, long? expectedOffset, SiloAddress? writer = null);

    /// <summary>
    /// Records the new offset and, when <paramref name="release"/>, gives the lease back (a
    /// completing writer keeps it until the session is closed). False when the lease was lost (it
    /// expired and the session was leased again, or the session is gone): nothing the caller
    /// computed may then be trusted.
    /// </summary>
    [Alias("EndWrite")]
    Task<bool> EndWriteAsync(Guid leaseId, long newOffset, bool release);

    /// <summary>Extends a held lease; a writer calls it while it streams. False when the lease is no longer its own.</summary>
    [Alias("Renew")]
    Task<bool> RenewAsync(Guid leaseId);

    /// <summary>
    /// A completing writer failed (the cluster or a backing service was unavailable): it gives
    /// the lease back and the session stays, so the client's retried PUT finds it. When the blob
    /// was already stored under <paramref name="committed"/>, the retry only links it.
    /// </summary>
    [Alias("AbandonCompletion")]
    Task AbandonCompletionAsync(Guid leaseId, Digest? committed);

    /// <summary>Forgets the session (completed or cancelled). Bytes are the caller's to move or delete.</summary>
    [Alias("Close")]
    Task<bool> CloseAsync(string repository);
}
