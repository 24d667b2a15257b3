using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>One tagged image in an OCI image layout on disk, read straight from index.json and the
/// blobs (each blob's bytes are checked against its digest while reading).</summary>
public sealed record OciImage(
    string LayoutPath, string Tag, string ManifestDigest, string ManifestMediaType,
    string ConfigDigest, IReadOnlyList<string> LayerDigests)
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    /// <summary>The skopeo/podman transport reference, e.g. <c>oci:/tmp/x/layout:v1</c>.</summary>
    public string Reference => $"oci:{LayoutPath}:{Tag}";

    public static OciImage Read(string layoutPath, string tag)
    {
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(layoutPath, "index.json")))!;
        var descriptors = index["manifests"]!.AsArray();
        var descriptor = descriptors.FirstOrDefault(d => (string?)d!["annotations"]?[RefNameAnnotation] == tag)
            ?? throw new InvalidOperationException($"No manifest tagged '{tag}' in {layoutPath}/index.json:\n{index}");

        var manifestDigest = (string)descriptor["digest"]!;
        var manifest = JsonNode.Parse(ReadBlob(layoutPath, manifestDigest))!;
        return new OciImage(
            layoutPath, tag, manifestDigest,
            (string?)manifest["mediaType"] ?? (string)descriptor["mediaType"]!,
            (string)manifest["config"]!["digest"]!,
            [.. manifest["layers"]!.AsArray().Select(l => (string)l!["digest"]!)]);
    }

    /// <summary>Reads a blob of the layout and fails loudly if its content does not match its name.</summary>
    public static byte[] ReadBlob(string layoutPath, string digest)
    {
        var (algorithm, hex) = Split(digest);
        var bytes = File.ReadAllBytes(Path.Combine(layoutPath, "blobs", algorithm, hex));
        var actual = Sha256Digest(bytes);
        if (actual != digest)
        {
            throw new InvalidOperationException($"Blob {digest} in {layoutPath} actually hashes to {actual}.");
        }
        return bytes;
    }

    public static string Sha256Digest(ReadOnlySpan<byte> bytes) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static (string Algorithm, string Hex) Split(string digest)
    {
        var colon = digest.IndexOf(':');
        return (digest[..colon], digest[(colon + 1)..]);
    }
}
