using System.Text.Json;
using Registry.Grains.Abstractions;

namespace Registry.Api.Oci;

/// <summary>Finds the child of an index built for one platform.</summary>
public static class PlatformChild
{
    public static Digest? Find(byte[] index, string os, string architecture)
    {
        try
        {
            using var document = JsonDocument.Parse(index);
            if (!document.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array) return null;
            foreach (var m in manifests.EnumerateArray())
            {
                if (m.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object &&
                    p.TryGetProperty("os", out var o) && o.GetString() == os &&
                    p.TryGetProperty("architecture", out var a) && a.GetString() == architecture &&
                    m.TryGetProperty("digest", out var d) && Digest.TryParse(d.GetString(), out var digest))
                {
                    return digest;
                }
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }
}
