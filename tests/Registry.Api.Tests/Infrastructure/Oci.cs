using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Registry.Api.Tests;

/// <summary>A content descriptor as manifests carry it.</summary>
public sealed record Descriptor(string MediaType, string Digest, long Size)
{
    public JsonObject ToJson(string? os = null, string? architecture = null, string? artifactType = null)
    {
        var json = new JsonObject { ["mediaType"] = MediaType, ["digest"] = Digest, ["size"] = Size };
        if (artifactType is not null) json["artifactType"] = artifactType;
        if (os is not null) json["platform"] = new JsonObject { ["architecture"] = architecture, ["os"] = os };
        return json;
    }
}

/// <summary>Media types, digests and JSON builders for manifests and indexes, written from the image and distribution specs.</summary>
public static class Oci
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    public static string Digest(byte[] content, string algorithm = "sha256") => algorithm switch
    {
        "sha512" => "sha512:" + Convert.ToHexStringLower(SHA512.HashData(content)),
        _ => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content)),
    };

    public static Descriptor Describe(byte[] content, string mediaType) => new(mediaType, Digest(content), content.Length);

    /// <summary>Random bytes, so every test's blobs are distinct.</summary>
    public static byte[] RandomBytes(int length = 64) => RandomNumberGenerator.GetBytes(length);

    /// <summary>A unique, valid config blob.</summary>
    public static byte[] Config() => Encoding.UTF8.GetBytes(
        """{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Labels":{"n":""" + $"\"{Guid.NewGuid():N}\"" + "}}}");

    /// <summary>An image (or artifact) manifest; <paramref name="mediaType"/> null leaves the field out.</summary>
    public static byte[] Manifest(Descriptor config, IEnumerable<Descriptor> layers, string? mediaType = OciManifest,
        string? artifactType = null, Descriptor? subject = null, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var json = new JsonObject { ["schemaVersion"] = 2 };
        if (mediaType is not null) json["mediaType"] = mediaType;
        if (artifactType is not null) json["artifactType"] = artifactType;
        json["config"] = config.ToJson();
        json["layers"] = new JsonArray(layers.Select(l => (JsonNode)l.ToJson()).ToArray());
        if (subject is not null) json["subject"] = subject.ToJson();
        if (annotations is not null) json["annotations"] = Annotations(annotations);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    /// <summary>An index (or Docker manifest list) over <paramref name="manifests"/>, already serialized descriptors.</summary>
    public static byte[] Index(IEnumerable<JsonObject> manifests, string mediaType = OciIndex, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var json = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
            ["manifests"] = new JsonArray(manifests.Select(m => (JsonNode)m).ToArray()),
        };
        if (annotations is not null) json["annotations"] = Annotations(annotations);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    private static JsonObject Annotations(IReadOnlyDictionary<string, string> annotations)
    {
        var json = new JsonObject();
        foreach (var (key, value) in annotations) json[key] = value;
        return json;
    }
}
