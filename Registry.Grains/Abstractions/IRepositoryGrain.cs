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

    /// <summary>By tag: removes the tag. By digest: removes the manifest and every tag on it.</summary>
    [Alias("DeleteManifest")]
    Task<bool> DeleteManifestAsync(string reference);

    /// <summary>
    /// Removes every manifest (indexes first), every tag and every blob link: the repository is
    /// left empty. Returns how many manifests were removed.
    /// </summary>
    [Alias("DeleteAll")]
    Task<int> DeleteAllAsync();

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
