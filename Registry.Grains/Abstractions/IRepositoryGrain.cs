using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Registry.Grains.Abstractions;

/// <summary>
/// The single writer of one repository's manifests, tags and blob links (key: full repository
/// name). Reads interleave and are served from memory; writes are serialized, so no tag update is
/// lost and no node reads a stale tag.
/// </summary>
[Alias("Registry.IRepositoryGrain")]
public interface IRepositoryGrain : IGrainWithStringKey
{
    [AlwaysInterleave, Alias("GetManifest")]
    Task<ManifestResponse?> GetManifestAsync(string reference, bool withContent);

    [Alias("PutManifest")]
    Task<PutManifestResult> PutManifestAsync(PutManifestCommand command);

    /// <summary>
    /// By tag: removes the tag. By digest: moves the manifest with every tag on it to the project's
    /// recycle bin, together with its accessories (manifests whose subject it is, cosign's
    /// <c>sha256-….sig</c> tags) and the children of an index that no tag and no other index hold,
    /// as Harbor deletes an artifact; <paramref name="operator"/> is recorded as who deleted it.
    /// Throws <see cref="ImmutableTagException"/> when the tag, or a tag of the artifact, is immutable.
    /// </summary>
    [Alias("DeleteManifest")]
    Task<bool> DeleteManifestAsync(string reference, string? @operator = null);

    /// <summary>
    /// Moves every manifest (indexes first) to the recycle bin, removes every blob link: the
    /// repository is left empty. Returns how many manifests were removed. Throws
    /// <see cref="ImmutableTagException"/>, removing nothing, while any tag is immutable.
    /// </summary>
    [Alias("DeleteAll")]
    Task<int> DeleteAllAsync(string? @operator = null);

    /// <summary>
    /// Puts a recycle bin entry of this repository back: manifests, references, tags, blob links,
    /// in one transaction; refused (nothing written) on a conflict or a missing blob.
    /// </summary>
    [Alias("Restore")]
    Task<RestoreResult> RestoreAsync(long binId);

    [AlwaysInterleave, Alias("GetReferrers")]
    Task<ImmutableArray<ReferrerDescriptor>> GetReferrersAsync(Digest subject, string? artifactType);

    /// <summary>Size of a blob linked to this repository, or null when it is not linked here.</summary>
    [AlwaysInterleave, Alias("GetBlobSize")]
    Task<long?> GetBlobSizeAsync(Digest digest);

    /// <summary>Links the blob (stamping the link time); false when the garbage collector is deleting it: upload it again later.</summary>
    [Alias("LinkBlob")]
    Task<bool> LinkBlobAsync(Digest digest, long size);

    [Alias("UnlinkBlob")]
    Task<bool> UnlinkBlobAsync(Digest digest);

    /// <summary>Garbage collection: unlinks the blob unless a manifest here references it (false).</summary>
    [Alias("UnlinkUnreferencedBlob")]
    Task<bool> UnlinkUnreferencedBlobAsync(Digest digest);
}
