using System.Collections.Immutable;

namespace Registry.Grains.Abstractions;

/// <summary>A manifest as pushed: exact bytes, the media type they were pushed with and who pushed it (for events).</summary>
[GenerateSerializer, Immutable, Alias("Registry.PutManifestCommand")]
public sealed record PutManifestCommand(
    [property: Id(0)] string Reference,
    [property: Id(1)] string MediaType,
    [property: Id(2)] byte[] Content,
    [property: Id(3)] Digest Digest,
    [property: Id(4)] string? Operator = null);

[GenerateSerializer, Immutable, Alias("Registry.PutManifestResult")]
public sealed record PutManifestResult(
    [property: Id(0)] OciErrorCode? Error,
    [property: Id(1)] string? Detail,
    [property: Id(2)] Digest Digest,
    [property: Id(3)] Digest? Subject)
{
    public static PutManifestResult Fail(OciErrorCode code, string detail) => new(code, detail, default, null);
}

/// <summary>A stored manifest. <see cref="Content"/> is null when only the descriptor was asked for.</summary>
[GenerateSerializer, Immutable, Alias("Registry.ManifestResponse")]
public sealed record ManifestResponse(
    [property: Id(0)] Digest Digest,
    [property: Id(1)] string MediaType,
    [property: Id(2)] long Size,
    [property: Id(3)] byte[]? Content);

/// <summary>One entry of a referrers index: a manifest whose <c>subject</c> is the asked digest.</summary>
[GenerateSerializer, Immutable, Alias("Registry.ReferrerDescriptor")]
public sealed record ReferrerDescriptor(
    [property: Id(0)] Digest Digest,
    [property: Id(1)] string MediaType,
    [property: Id(2)] long Size,
    [property: Id(3)] string? ArtifactType,
    [property: Id(4)] ImmutableDictionary<string, string>? Annotations);
