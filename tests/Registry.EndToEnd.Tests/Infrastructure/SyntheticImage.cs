using System.Text;
using System.Text.Json.Nodes;

namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>Blob bytes plus a canonical OCI image manifest over them, for raw-HTTP pushes.</summary>
public sealed record SyntheticImage(byte[] Config, IReadOnlyList<byte[]> Layers, byte[] Manifest)
{
    public string ManifestDigest => OciImage.Sha256Digest(Manifest);

    public IEnumerable<byte[]> Blobs => Layers.Prepend(Config);

    /// <summary>A config and <paramref name="layerCount"/> random layers of <paramref name="layerSize"/> bytes.</summary>
    public static SyntheticImage Create(Random random, int layerCount = 2, int layerSize = 64 * 1024, string? note = null)
    {
        var layers = Enumerable.Range(0, layerCount).Select(_ => RandomBytes(random, layerSize)).ToList();
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Env"] = new JsonArray("E2E=1") },
            ["rootfs"] = new JsonObject
            {
                ["type"] = "layers",
                ["diff_ids"] = new JsonArray([.. layers.Select(l => (JsonNode)OciImage.Sha256Digest(l))]),
            },
        }.ToJsonString());
        return WithBlobs(config, layers, note);
    }

    /// <summary>A new manifest over existing blobs; <paramref name="note"/> (an annotation) makes its digest unique.</summary>
    public static SyntheticImage WithBlobs(byte[] config, IReadOnlyList<byte[]> layers, string? note = null)
    {
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciClient.OciManifest,
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", config),
            ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode)Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", l))]),
        };
        if (note is not null)
        {
            manifest["annotations"] = new JsonObject { ["org.example.e2e.note"] = note };
        }
        return new SyntheticImage(config, layers, Encoding.UTF8.GetBytes(manifest.ToJsonString()));
    }

    public static byte[] RandomBytes(Random random, int size)
    {
        var bytes = new byte[size];
        random.NextBytes(bytes);
        return bytes;
    }

    private static JsonObject Descriptor(string mediaType, byte[] content) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = OciImage.Sha256Digest(content),
        ["size"] = content.Length,
    };
}
