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
    /// By tag: removes the tag. By digest: removes the manifest and every tag on it.
    /// <paramref name="operator"/> is who asked (recorded with the deletion). Throws
    /// <see cref="ImmutableTagException"/> when the tag, or a tag of the artifact, is immutable.
    /// </summary>
    [Alias("DeleteManifest")]
    Task<bool> DeleteManifestAsync(string reference, string? @operator = null);

    /// <summary>
    /// Removes every manifest (indexes first), every tag and every blob link: the repository is
    /// left empty. Returns how many manifests were removed. Throws
    /// <see cref="ImmutableTagException"/>, removing nothing, while any tag is immutable.
    /// </summary>
    [Alias("DeleteAll")]
    Task<int> DeleteAllAsync();

    [AlwaysInterleave, Alias("GetReferrers")]
    Task<ImmutableArray<ReferrerDescriptor>> GetReferrersAsync(Digest subject, string? artifactType);

    /// <summary>Size of a blob linked to this repository, or null when it is not linked here.</summary>
    [AlwaysInterleave, Alias("GetBlobSize")]
    Task<long?> GetBlobSizeAsync(Digest digest);

    [Alias("LinkBlob")]
    Task LinkBlobAsync(Digest digest, long size);

    [Alias("UnlinkBlob")]
    Task<bool> UnlinkBlobAsync(Digest digest);
}
