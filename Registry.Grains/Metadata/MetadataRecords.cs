using System.Collections.Immutable;
using Registry.Grains.Abstractions;

namespace Registry.Grains.Metadata;

/// <summary>A manifest row: its identity, what it references (for validation and GC), its bytes and who pushed it (for the push event).</summary>
public sealed record ManifestRecord(
    string Repository,
    Digest Digest,
    string MediaType,
    long Size,
    string? ArtifactType,
    Digest? Subject,
    ImmutableDictionary<string, string>? Annotations,
    IReadOnlyList<Digest> References,
    byte[] Content,
    string? Operator = null);

/// <summary>A manifest's descriptor as a repository keeps it in memory (no bytes).</summary>
public sealed record ManifestEntry(
    Digest Digest,
    string MediaType,
    long Size,
    string? ArtifactType,
    Digest? Subject,
    ImmutableDictionary<string, string>? Annotations);

/// <summary>Everything a repository grain loads on activation.</summary>
public sealed record RepositorySnapshot(
    bool Exists,
    IReadOnlyList<ManifestEntry> Manifests,
    IReadOnlyDictionary<string, Digest> Tags,
    IReadOnlyDictionary<Digest, long> Blobs);

/// <param name="Committed">The blob a completing PUT stored before it failed to link it; the retried PUT only links it.</param>
public sealed record UploadRecord(string Id, string Repository, DateTimeOffset StartedAt, string? Committed = null);
