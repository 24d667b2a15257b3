using System.Collections.Immutable;
using System.Text.Json;
using Registry.Grains.Abstractions;

namespace Registry.Grains.Manifests;

/// <summary>What validation and the referrers API need from a manifest.</summary>
public sealed record ParsedManifest(
    string MediaType,
    string? ArtifactType,
    Digest? Subject,
    ImmutableDictionary<string, string>? Annotations,
    IReadOnlyList<Digest> RequiredBlobs,
    IReadOnlyList<Digest> OptionalBlobs,
    IReadOnlyList<Digest> ChildManifests);

/// <summary>
/// Reads a pushed manifest without rewriting it (the exact bytes are stored). Recognises image
/// manifests and indexes by shape, so artifact manifests of any media type are accepted too.
/// </summary>
public static class ManifestParser
{
    /// <summary>The manifest's facts, or null with the reason in <paramref name="detail"/> when it is invalid.</summary>
    public static ParsedManifest? Parse(byte[] content, string? contentType, out string? detail)
    {
        detail = null;
        try
        {
            using var document = JsonDocument.Parse(content);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Invalid(out detail, "manifest is not a JSON object");

            var bodyType = GetString(root, "mediaType");
            var mediaType = string.IsNullOrWhiteSpace(contentType) ? bodyType : contentType;
            if (bodyType is not null && mediaType != bodyType)
                return Invalid(out detail, $"Content-Type '{contentType}' does not match the manifest's mediaType '{bodyType}'");
            mediaType ??= root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
            if (mediaType is MediaTypes.DockerSchema1 or MediaTypes.DockerSchema1Signed)
                return Invalid(out detail, "Docker schema 1 manifests are not supported");

            var known = mediaType is MediaTypes.OciManifest or MediaTypes.OciIndex or MediaTypes.DockerManifest or MediaTypes.DockerManifestList;
            if (known && (!root.TryGetProperty("schemaVersion", out var version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != 2))
                return Invalid(out detail, "schemaVersion must be 2");

            var required = new List<Digest>();
            var optional = new List<Digest>();
            var children = new List<Digest>();
            string? configType = null;
            if (root.TryGetProperty("config", out var config))
            {
                if (!ReadDescriptor(config, out var d, out configType, out _, out detail)) return Invalid(out detail, detail!);
                required.Add(d);
            }
            else if (mediaType is MediaTypes.OciManifest or MediaTypes.DockerManifest)
            {
                return Invalid(out detail, "an image manifest needs a config descriptor");
            }
            if (!ReadList(root, "layers", out var layers, out detail)) return Invalid(out detail, detail!);
            foreach (var (digest, hasUrls) in layers) (hasUrls ? optional : required).Add(digest);
            if (!ReadList(root, "manifests", out var manifests, out detail)) return Invalid(out detail, detail!);
            children.AddRange(manifests.Select(m => m.Digest));
            if (MediaTypes.IsIndex(mediaType) && !root.TryGetProperty("manifests", out _))
                return Invalid(out detail, "an index needs a manifests array");

            Digest? subject = null;
            if (root.TryGetProperty("subject", out var subjectElement))
            {
                if (!ReadDescriptor(subjectElement, out var s, out _, out _, out detail)) return Invalid(out detail, detail!);
                subject = s;
            }
            var artifactType = GetString(root, "artifactType") ?? (subject is not null ? configType : null);
            return new ParsedManifest(mediaType, artifactType, subject, ReadAnnotations(root), required, optional, children);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return Invalid(out detail, "manifest is not valid JSON: " + e.Message);
        }
    }

    private static ParsedManifest? Invalid(out string? detail, string message)
    {
        detail = message;
        return null;
    }

    private static bool ReadList(JsonElement root, string name, out List<(Digest Digest, bool HasUrls)> items, out string? detail)
    {
        items = [];
        detail = null;
        if (!root.TryGetProperty(name, out var array)) return true;
        if (array.ValueKind != JsonValueKind.Array) { detail = $"{name} must be an array"; return false; }
        foreach (var element in array.EnumerateArray())
        {
            if (!ReadDescriptor(element, out var digest, out _, out var hasUrls, out detail)) return false;
            items.Add((digest, hasUrls));
        }
        return true;
    }

    private static bool ReadDescriptor(JsonElement element, out Digest digest, out string? mediaType, out bool hasUrls, out string? detail)
    {
        digest = default;
        mediaType = null;
        hasUrls = false;
        detail = null;
        if (element.ValueKind != JsonValueKind.Object) { detail = "descriptor must be an object"; return false; }
        if (!Digest.TryParse(GetString(element, "digest"), out digest)) { detail = $"descriptor has an invalid digest '{GetString(element, "digest")}'"; return false; }
        if (!element.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Number || !size.TryGetInt64(out var n) || n < 0)
        {
            detail = $"descriptor {digest} has an invalid size";
            return false;
        }
        mediaType = GetString(element, "mediaType");
        hasUrls = element.TryGetProperty("urls", out var urls) && urls.ValueKind == JsonValueKind.Array && urls.GetArrayLength() > 0;
        return true;
    }

    private static ImmutableDictionary<string, string>? ReadAnnotations(JsonElement root)
    {
        if (!root.TryGetProperty("annotations", out var annotations) || annotations.ValueKind != JsonValueKind.Object) return null;
        var builder = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var property in annotations.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String) builder[property.Name] = property.Value.GetString()!;
        }
        return builder.ToImmutable();
    }

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
