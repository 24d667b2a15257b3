using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Portal.Api.Models;

// The management API's repositories and artifacts (Harbor's JSON, snake_case through RegistryApi.Json),
// and the distribution API's manifests and image configs (their own spelling, given per property).

/// <summary>Harbor's <c>Repository</c>; <c>Name</c> is the full name, project included.</summary>
public sealed record RepositoryInfo(
    long Id, long ProjectId, string Name, string? Description, long ArtifactCount, long PullCount,
    DateTimeOffset? CreationTime, DateTimeOffset? UpdateTime);

/// <summary>Harbor's <c>Platform</c> of an index child.</summary>
public sealed record ArtifactPlatform(
    string? Architecture,
    string? Os,
    [property: JsonPropertyName("os.version")] string? OsVersion,
    string? Variant)
{
    /// <summary><c>os/architecture[/variant]</c>, e.g. <c>linux/arm64/v8</c>.</summary>
    public string Describe() =>
        string.Join('/', new[] { Os, Architecture, Variant }.Where(p => !string.IsNullOrEmpty(p))) is { Length: > 0 } text ? text : "unknown platform";
}

/// <summary>A child of an index, as the API lists it in <c>references</c>.</summary>
public sealed record ArtifactReference(long ParentId, long ChildId, string ChildDigest, ArtifactPlatform? Platform,
    IReadOnlyDictionary<string, string>? Annotations);

public sealed record ArtifactTag(long Id, long RepositoryId, long ArtifactId, string Name, DateTimeOffset PushTime, DateTimeOffset? PullTime, bool Immutable);

public sealed record ArtifactLabel(long Id, string Name, string? Description, string? Color);

/// <summary>An artifact attached to another (signature, SBOM, attestation).</summary>
public sealed record ArtifactAccessory(long Id, long ArtifactId, long SubjectArtifactId, string SubjectArtifactDigest, string? SubjectArtifactRepo,
    long Size, string Digest, string Type, DateTimeOffset? CreationTime);

/// <summary>Harbor's <c>Artifact</c>.</summary>
public sealed record Artifact(
    long Id,
    string Type,
    string? MediaType,
    string? ManifestMediaType,
    string? ArtifactType,
    long ProjectId,
    long RepositoryId,
    string RepositoryName,
    string Digest,
    long Size,
    DateTimeOffset PushTime,
    DateTimeOffset? PullTime,
    IReadOnlyDictionary<string, JsonElement>? ExtraAttrs,
    IReadOnlyDictionary<string, string>? Annotations,
    IReadOnlyList<ArtifactReference>? References,
    IReadOnlyList<ArtifactTag>? Tags,
    IReadOnlyList<ArtifactLabel>? Labels,
    IReadOnlyList<ArtifactAccessory>? Accessories);

/// <summary>A content descriptor inside a manifest or an index.</summary>
public sealed record Descriptor(
    [property: JsonPropertyName("mediaType")] string? MediaType,
    [property: JsonPropertyName("digest")] string? Digest,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("platform")] DescriptorPlatform? Platform,
    [property: JsonPropertyName("artifactType")] string? ArtifactType,
    [property: JsonPropertyName("annotations")] IReadOnlyDictionary<string, string>? Annotations);

public sealed record DescriptorPlatform(
    [property: JsonPropertyName("architecture")] string? Architecture,
    [property: JsonPropertyName("os")] string? Os,
    [property: JsonPropertyName("os.version")] string? OsVersion,
    [property: JsonPropertyName("variant")] string? Variant);

/// <summary>An OCI or Docker image manifest or index, as far as the artifact page shows it.</summary>
public sealed record ManifestDocument(
    [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
    [property: JsonPropertyName("mediaType")] string? MediaType,
    [property: JsonPropertyName("artifactType")] string? ArtifactType,
    [property: JsonPropertyName("config")] Descriptor? Config,
    [property: JsonPropertyName("layers")] IReadOnlyList<Descriptor>? Layers,
    [property: JsonPropertyName("manifests")] IReadOnlyList<Descriptor>? Manifests,
    [property: JsonPropertyName("subject")] Descriptor? Subject,
    [property: JsonPropertyName("annotations")] IReadOnlyDictionary<string, string>? Annotations);

/// <summary>The <c>config</c> of an image config: how a container of the image runs.</summary>
public sealed record ContainerConfig(
    [property: JsonPropertyName("User")] string? User,
    [property: JsonPropertyName("Env")] IReadOnlyList<string>? Env,
    [property: JsonPropertyName("Entrypoint")] IReadOnlyList<string>? Entrypoint,
    [property: JsonPropertyName("Cmd")] IReadOnlyList<string>? Cmd,
    [property: JsonPropertyName("WorkingDir")] string? WorkingDir,
    [property: JsonPropertyName("Labels")] IReadOnlyDictionary<string, string>? Labels,
    [property: JsonPropertyName("ExposedPorts")] IReadOnlyDictionary<string, JsonElement>? ExposedPorts,
    [property: JsonPropertyName("StopSignal")] string? StopSignal);

/// <summary>One step of an image's build history.</summary>
public sealed record HistoryEntry(
    [property: JsonPropertyName("created")] string? Created,
    [property: JsonPropertyName("created_by")] string? CreatedBy,
    [property: JsonPropertyName("author")] string? Author,
    [property: JsonPropertyName("comment")] string? Comment,
    [property: JsonPropertyName("empty_layer")] bool EmptyLayer);

/// <summary>An OCI (or Docker) image config blob.</summary>
public sealed record ImageConfig(
    [property: JsonPropertyName("created")] string? Created,
    [property: JsonPropertyName("author")] string? Author,
    [property: JsonPropertyName("architecture")] string? Architecture,
    [property: JsonPropertyName("os")] string? Os,
    [property: JsonPropertyName("os.version")] string? OsVersion,
    [property: JsonPropertyName("variant")] string? Variant,
    [property: JsonPropertyName("config")] ContainerConfig? Config,
    [property: JsonPropertyName("history")] IReadOnlyList<HistoryEntry>? History);
