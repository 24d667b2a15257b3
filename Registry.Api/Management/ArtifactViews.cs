using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Registry.Api.Auth;
using Registry.Grains.Abstractions;
using Registry.Grains.Manifests;
using Registry.Grains.Metadata;
using Registry.Grains.Storage;

namespace Registry.Api.Management;

/// <summary>What of an artifact a list or get returns besides its basic fields.</summary>
public sealed record ArtifactOptions(bool WithTag = true, bool WithLabel = false, bool WithAccessory = false)
{
    public static ArtifactOptions From(HttpContext context, bool defaultAccessory = false)
    {
        var query = context.Request.Query;
        return new ArtifactOptions(Flag(query["with_tag"], "with_tag", true), Flag(query["with_label"], "with_label", false),
            Flag(query["with_accessory"], "with_accessory", defaultAccessory));
    }

    private static bool Flag(string? value, string name, bool fallback) =>
        string.IsNullOrEmpty(value) ? fallback
        : bool.TryParse(value, out var b) ? b
        : throw Harbor.BadRequest($"{name} must be true or false");
}

/// <summary>
/// Ids of things the read model keys by name: the same on every node. A repository's id is the
/// stable id of its name; an artifact's of <c>repository@digest</c>; a tag's of <c>repository:tag</c>.
/// </summary>
public static class ArtifactIds
{
    public static long Repository(string repository) => StableIds.Of(repository);

    public static long Artifact(string repository, Digest digest) => StableIds.Of($"{repository}@{digest}");

    public static long Tag(string repository, string tag) => StableIds.Of($"{repository}:{tag}");
}

/// <summary>The facts of a manifest the management API shows, read from its bytes.</summary>
public sealed record ManifestFacts(
    string MediaType,
    string? ArtifactType,
    string? ConfigMediaType,
    Digest? ConfigDigest,
    long ConfigSize,
    IReadOnlyList<string> LayerMediaTypes,
    IReadOnlyList<ManifestChild> Children,
    long BlobBytes)
{
    public static ManifestFacts? Read(ManifestResponse manifest)
    {
        if (manifest.Content is null) return null;
        try
        {
            using var document = JsonDocument.Parse(manifest.Content);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            string? configType = null;
            Digest? configDigest = null;
            long configSize = 0, blobBytes = 0;
            if (root.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object)
            {
                configType = String(config, "mediaType");
                if (Digest.TryParse(String(config, "digest"), out var d)) configDigest = d;
                configSize = Size(config);
                blobBytes += configSize;
            }
            var layers = new List<string>();
            if (root.TryGetProperty("layers", out var array) && array.ValueKind == JsonValueKind.Array)
            {
                foreach (var layer in array.EnumerateArray())
                {
                    if (layer.ValueKind != JsonValueKind.Object) continue;
                    if (String(layer, "mediaType") is { } type) layers.Add(type);
                    blobBytes += Size(layer);
                }
            }
            var children = new List<ManifestChild>();
            if (root.TryGetProperty("manifests", out var manifests) && manifests.ValueKind == JsonValueKind.Array)
            {
                foreach (var m in manifests.EnumerateArray())
                {
                    if (m.ValueKind != JsonValueKind.Object || !Digest.TryParse(String(m, "digest"), out var digest)) continue;
                    children.Add(new ManifestChild(digest, String(m, "mediaType"), Size(m), Platform(m), Annotations(m), Strings(m, "urls")));
                }
            }
            return new ManifestFacts(manifest.MediaType, String(root, "artifactType"), configType, configDigest, configSize, layers, children, blobBytes);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static PlatformDto? Platform(JsonElement descriptor)
    {
        if (!descriptor.TryGetProperty("platform", out var p) || p.ValueKind != JsonValueKind.Object) return null;
        return new PlatformDto(String(p, "architecture"), String(p, "os"), String(p, "os.version"), Strings(p, "os.features"), String(p, "variant"));
    }

    public static IReadOnlyDictionary<string, string>? Annotations(JsonElement element)
    {
        if (!element.TryGetProperty("annotations", out var a) || a.ValueKind != JsonValueKind.Object) return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in a.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String) result[property.Name] = property.Value.GetString()!;
        }
        return result;
    }

    private static IReadOnlyList<string>? Strings(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var a) || a.ValueKind != JsonValueKind.Array) return null;
        return [.. a.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)];
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Size(JsonElement element) =>
        element.TryGetProperty("size", out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n > 0 ? n : 0;
}

public sealed record ManifestChild(Digest Digest, string? MediaType, long Size, PlatformDto? Platform,
    IReadOnlyDictionary<string, string>? Annotations, IReadOnlyList<string>? Urls);

/// <summary>
/// Builds Harbor's <c>Artifact</c> from the read model's record and the manifest's bytes (served
/// by the repository grain, usually from its memory). Images and charts get <c>extra_attrs</c>
/// from their config blob, read once per config digest and then cached.
/// </summary>
public sealed class ArtifactViews(IGrainFactory grains, IArtifactQueries queries, IBlobStore blobs, IMemoryCache cache)
{
    /// <summary>Config blobs larger than this are not read for <c>extra_attrs</c>.</summary>
    public const int MaxConfigBytes = 1 << 20;

    private static readonly TimeSpan ConfigCacheFor = TimeSpan.FromMinutes(30);

    public static ArtifactViews For(HttpContext context)
    {
        var s = context.RequestServices;
        return new ArtifactViews(s.GetRequiredService<IGrainFactory>(), s.GetRequiredService<IArtifactQueries>(),
            s.GetRequiredService<IBlobStore>(), s.GetRequiredService<IMemoryCache>());
    }

    public async Task<ArtifactDto> ToDtoAsync(ProjectAccess access, ArtifactRecord record, ArtifactOptions options, CancellationToken cancellationToken)
    {
        var repository = record.Repository;
        var grain = grains.GetGrain<IRepositoryGrain>(repository);
        var manifest = await grain.GetManifestAsync(record.Digest.ToString(), withContent: true);
        var facts = manifest is null ? null : ManifestFacts.Read(manifest);
        var manifestType = facts?.MediaType ?? record.MediaType;
        var isIndex = MediaTypes.IsIndex(manifestType);
        var artifactType = facts?.ArtifactType ?? record.ArtifactType ?? facts?.ConfigMediaType;
        var layers = facts?.LayerMediaTypes ?? [];
        IReadOnlyDictionary<string, string>? annotations = record.Annotations;
        var type = ArtifactKinds.TypeOf(manifestType, facts?.ArtifactType, facts?.ConfigMediaType ?? record.ArtifactType, layers, annotations);
        var id = record.Id;
        var repositoryId = ArtifactIds.Repository(repository);

        IReadOnlyList<ReferenceDto>? references = null;
        if (isIndex)
        {
            references = [.. (facts?.Children ?? []).Select(c =>
                new ReferenceDto(id, ArtifactIds.Artifact(repository, c.Digest), c.Digest.ToString(), c.Platform, c.Annotations, c.Urls))];
        }

        IReadOnlyList<TagDto>? tags = options.WithTag
            ? [.. record.Tags.OrderByDescending(t => t.PushedAt).Select(t => ToTag(repository, id, t))]
            : null;

        return new ArtifactDto(
            id, type,
            isIndex ? manifestType : facts?.ConfigMediaType ?? record.ArtifactType ?? manifestType,
            manifestType, artifactType,
            access.Project.Id, repositoryId, repository, record.Digest.ToString(), record.Size, "",
            record.PushedAt, record.PulledAt,
            await ExtraAttrsAsync(type, facts, cancellationToken),
            annotations is { Count: > 0 } ? annotations : null,
            references, tags,
            options.WithLabel ? [.. (record.Labels ?? []).Select(LabelDto.From)] : null,
            options.WithAccessory ? await AccessoriesAsync(record.Repository, record.Digest, id, cancellationToken) : null);
    }

    public static TagDto ToTag(string repository, long artifactId, TagRecord tag) =>
        new(ArtifactIds.Tag(repository, tag.Name), ArtifactIds.Repository(repository), artifactId, tag.Name, tag.PushedAt, tag.PulledAt, false);

    /// <summary>
    /// The artifacts attached to <paramref name="subject"/>: manifests whose <c>subject</c> it is,
    /// and cosign's tag-convention ones (<c>sha256-&lt;hex&gt;.sig</c> and the like) from
    /// clients that do not use the referrers API.
    /// </summary>
    public async Task<IReadOnlyList<AccessoryDto>> AccessoriesAsync(string repository, Digest subject, long subjectId, CancellationToken cancellationToken)
    {
        var found = await AccessoryDigestsAsync(grains.GetGrain<IRepositoryGrain>(repository), subject);
        var result = new List<AccessoryDto>(found.Count);
        foreach (var (digest, type) in found)
        {
            var record = await queries.GetArtifactAsync(repository, digest, cancellationToken);
            var id = record?.Id ?? ArtifactIds.Artifact(repository, digest);
            result.Add(new AccessoryDto(id, id, subjectId, subject.ToString(), repository, record?.Size ?? 0, digest.ToString(), type, "", record?.PushedAt));
        }
        return result;
    }

    /// <summary>The digests and accessory types of what is attached to <paramref name="subject"/>, from the repository grain.</summary>
    public static async Task<IReadOnlyList<(Digest Digest, string Type)>> AccessoryDigestsAsync(IRepositoryGrain grain, Digest subject)
    {
        var found = new List<(Digest Digest, string Type)>();
        foreach (var referrer in await grain.GetReferrersAsync(subject, null))
        {
            var content = await grain.GetManifestAsync(referrer.Digest.ToString(), withContent: true);
            var facts = content is null ? null : ManifestFacts.Read(content);
            found.Add((referrer.Digest, ArtifactKinds.AccessoryTypeOf(referrer.ArtifactType ?? facts?.ArtifactType, facts?.ConfigMediaType, facts?.LayerMediaTypes ?? [])));
        }
        foreach (var suffix in ArtifactKinds.CosignTagSuffixes)
        {
            var tagged = await grain.GetManifestAsync($"{subject.Algorithm}-{subject.Hex}.{suffix}", withContent: false);
            if (tagged is not null && tagged.Digest != subject && found.All(f => f.Digest != tagged.Digest))
                found.Add((tagged.Digest, ArtifactKinds.CosignTagAccessory(suffix)));
        }
        return found;
    }

    /// <summary>
    /// Harbor's <c>extra_attrs</c>: for an image its config's architecture, os, author, created and
    /// <c>config</c> (Env, Entrypoint, Cmd...); for a chart its Chart.yaml fields; else none.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, JsonElement>?> ExtraAttrsAsync(string type, ManifestFacts? facts, CancellationToken cancellationToken)
    {
        if (type is not (ArtifactKinds.Image or ArtifactKinds.Chart) || facts?.ConfigDigest is not { } digest || facts.ConfigSize > MaxConfigBytes) return null;
        var key = (typeof(ArtifactViews), type, digest);
        if (cache.TryGetValue(key, out IReadOnlyDictionary<string, JsonElement>? cached)) return cached;

        IReadOnlyDictionary<string, JsonElement>? attributes;
        try
        {
            attributes = await ReadConfigAsync(type, digest, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Extra attributes are a nicety: a blob store hiccup leaves them out, uncached.
            return null;
        }
        cache.Set(key, attributes, new MemoryCacheEntryOptions { SlidingExpiration = ConfigCacheFor });
        return attributes;
    }

    private async Task<IReadOnlyDictionary<string, JsonElement>?> ReadConfigAsync(string type, Digest digest, CancellationToken cancellationToken)
    {
        await using var blob = await blobs.OpenReadAsync(digest, cancellationToken);
        if (blob is null || blob.Length > MaxConfigBytes) return null;
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(blob.Stream, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            if (type == ArtifactKinds.Chart)
            {
                foreach (var property in root.EnumerateObject()) result[property.Name] = property.Value.Clone();
                return result;
            }
            foreach (var name in (string[])["architecture", "os", "os.version", "variant", "author", "created", "config"])
            {
                if (root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null) result[name] = value.Clone();
            }
            return result;
        }
    }
}
