using Registry.Grains.Abstractions;

namespace Registry.Grains.Metadata;

/// <summary>Writes of one repository; called only by its <see cref="IRepositoryGrain"/>.</summary>
public interface IRepositoryStore
{
    Task<RepositorySnapshot> LoadAsync(string repository, CancellationToken cancellationToken = default);
    Task<byte[]?> GetManifestContentAsync(string repository, Digest digest, CancellationToken cancellationToken = default);
    /// <summary>In one transaction: the repository row, the manifest (if new), its references and the tag.</summary>
    Task SaveManifestAsync(ManifestRecord manifest, string? tag, CancellationToken cancellationToken = default);
    /// <summary>In one transaction: the manifest, its references and every tag pointing at it, moved to the recycle bin.</summary>
    Task DeleteManifestAsync(string repository, Digest digest, CancellationToken cancellationToken = default) =>
        DeleteManifestsAsync(repository, [digest], "system", cancellationToken);
    /// <summary>
    /// In one transaction: moves the manifests (the deleted artifact first, then what goes with it)
    /// with their references and tags to the recycle bin (see <see cref="RecycleBinSql.MoveAsync"/>),
    /// and writes the DELETE_ARTIFACT event.
    /// </summary>
    Task DeleteManifestsAsync(string repository, IReadOnlyList<Digest> digests, string @operator, CancellationToken cancellationToken = default);
    /// <summary>In one transaction: puts recycle bin entry <paramref name="binId"/> back (see <see cref="RecycleBinSql.RestoreAsync"/>).</summary>
    Task<BinRestore> RestoreAsync(string repository, long binId, CancellationToken cancellationToken = default);
    Task DeleteTagAsync(string repository, string tag, CancellationToken cancellationToken = default);
    /// <summary>Links the blob and stamps the link time; false when the garbage collector is deleting the blob.</summary>
    Task<bool> LinkBlobAsync(string repository, Digest digest, long size, CancellationToken cancellationToken = default);
    Task UnlinkBlobAsync(string repository, Digest digest, CancellationToken cancellationToken = default);
    /// <summary>Removes the repository's row when it holds no manifest and links no blob (a deleted repository); false when it still holds some.</summary>
    Task<bool> DeleteIfEmptyAsync(string repository, CancellationToken cancellationToken = default);
    /// <summary>Removes the link unless a manifest of the repository references the blob (then false); for the garbage collector.</summary>
    Task<bool> UnlinkUnreferencedBlobAsync(string repository, Digest digest, CancellationToken cancellationToken = default);
}

/// <summary>Keyset-paginated listings, straight from the metadata store.</summary>
public interface IListingStore
{
    Task<bool> RepositoryExistsAsync(string repository, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<string>> ListTagsAsync(string repository, string? last, int limit, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<string>> ListRepositoriesAsync(string? last, int limit, CancellationToken cancellationToken = default);
}

public interface IUploadStore
{
    Task CreateAsync(UploadRecord upload, CancellationToken cancellationToken = default);
    Task<UploadRecord?> GetAsync(string id, CancellationToken cancellationToken = default);
    Task DeleteAsync(string id, CancellationToken cancellationToken = default);
    /// <summary>Records that the session's bytes are stored as <paramref name="digest"/> (they are no longer an upload).</summary>
    Task SetCommittedAsync(string id, string digest, CancellationToken cancellationToken = default);
    /// <summary>Sessions started before <paramref name="cutoff"/>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<UploadRecord>> ListStartedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken = default);
}

public interface IAccountStore
{
    Task<ProjectRecord?> GetProjectAsync(string name, CancellationToken cancellationToken = default);
    Task UpsertProjectAsync(string name, bool isPublic, CancellationToken cancellationToken = default);
    Task<UserRecord?> GetUserAsync(string username, CancellationToken cancellationToken = default);
    /// <summary>Creates the user unless one with that name exists; returns whether it was created.</summary>
    Task<bool> TryCreateUserAsync(string username, string passwordHash, bool sysAdmin, CancellationToken cancellationToken = default);
    Task PingAsync(CancellationToken cancellationToken = default);
    /// <summary>
    /// The secret stored under <paramref name="name"/>; when there is none yet, stores
    /// <paramref name="candidate"/> and returns it. Nodes racing here all get the same value.
    /// </summary>
    Task<string> GetOrAddSecretAsync(string name, string candidate, CancellationToken cancellationToken = default);
}
