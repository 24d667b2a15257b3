using System.Globalization;
using System.Text.Json;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Artifacts;

/// <summary>How the repository and artifact pages write sizes, digests, times and artifact types.</summary>
public static class ArtifactFormat
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    // Relaxed escaping keeps '+', '<' and non-ASCII readable: the text is HTML-encoded by Razor where it is shown.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The artifact page of <paramref name="digest"/>: <c>/projects/{project}/artifacts/{digest}?repository={name}</c>,
    /// with the digest's ':' and the name's '/' left readable (both are valid there unescaped).
    /// </summary>
    public static string ArtifactHref(Microsoft.AspNetCore.Mvc.IUrlHelper url, string project, string repository, string digest) =>
        url.Content($"~/projects/{Uri.EscapeDataString(project)}/artifacts/{Uri.EscapeDataString(digest).Replace("%3A", ":")}"
            + $"?repository={Uri.EscapeDataString(repository).Replace("%2F", "/")}");

    /// <summary>E.g. <c>512 B</c>, <c>1.5 KiB</c>, <c>23.4 MiB</c> (binary units).</summary>
    public static string Size(long bytes)
    {
        if (bytes < 1024) return $"{Math.Max(0, bytes)} B";
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString(value >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }

    /// <summary><c>sha256:</c> and the first 12 hex digits of a digest.</summary>
    public static string ShortDigest(string? digest)
    {
        if (string.IsNullOrEmpty(digest)) return "";
        var colon = digest.IndexOf(':');
        return colon > 0 && digest.Length > colon + 13 ? digest[..(colon + 13)] : digest;
    }

    /// <summary>A UTC time as <c>2026-01-31 14:05 UTC</c>.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>The machine-readable form for <c>&lt;time datetime&gt;</c>.</summary>
    public static string MachineTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>An image config's time (RFC 3339 with up to nanoseconds) parsed, or null.</summary>
    public static DateTimeOffset? ParseTime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        // .NET parses at most 7 fractional digits: cut nanoseconds to 100 ns ticks.
        var trimmed = System.Text.RegularExpressions.Regex.Replace(text.Trim(), @"(\.\d{7})\d+", "$1");
        return DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
    }

    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;

    /// <summary>What kind of artifact it is, in words: from the API's <c>type</c> and the manifest's media type.</summary>
    public static string TypeName(Artifact artifact)
    {
        if (IsIndex(artifact.ManifestMediaType) && artifact.Type == "IMAGE") return "Index";
        return TypeName(artifact.Type);
    }

    public static string TypeName(string? apiType) => apiType switch
    {
        "IMAGE" => "Image",
        "CHART" => "Helm chart",
        "SIGNATURE" => "Signature",
        "SBOM" => "SBOM",
        "CNAB" => "CNAB bundle",
        "WASM" => "WebAssembly module",
        _ => "Other artifact",
    };

    /// <summary>An accessory's type (Harbor's names) in words.</summary>
    public static string AccessoryName(string? type) => type switch
    {
        "signature.cosign" => "Signature (cosign)",
        "signature.notation" => "Signature (Notation)",
        "harbor.sbom" or "sbom" => "SBOM",
        "build.attestation" => "Attestation",
        _ => "Attached artifact",
    };

    /// <summary>A command line as an exec-form JSON array, e.g. <c>["/app/run", "--serve"]</c>.</summary>
    public static string Command(IReadOnlyList<string>? arguments) =>
        arguments is null or { Count: 0 } ? "" : "[" + string.Join(", ", arguments.Select(a => JsonSerializer.Serialize(a, Indented))) + "]";

    /// <summary>JSON bytes re-indented for reading; the bytes as text when they are not JSON.</summary>
    public static string PrettyJson(byte[] content)
    {
        try
        {
            using var document = JsonDocument.Parse(content);
            return JsonSerializer.Serialize(document.RootElement, Indented);
        }
        catch (JsonException)
        {
            return System.Text.Encoding.UTF8.GetString(content);
        }
    }
}
