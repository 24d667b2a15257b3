using Registry.Grains.Abstractions;

namespace Registry.Api.Oci;

/// <summary>Every <c>Location</c> and <c>Link</c> the distribution API hands out, built in one place (relative URLs).</summary>
public static class OciLocations
{
    public static string Blob(string name, Digest digest) => $"/v2/{name}/blobs/{digest}";

    public static string Manifest(string name, Digest digest) => $"/v2/{name}/manifests/{digest}";

    public static string Upload(string name, string uploadId) => $"/v2/{name}/blobs/uploads/{uploadId}";

    public static string TagsNext(string name, int n, string last) => NextLink($"/v2/{name}/tags/list", n, last);

    public static string CatalogNext(int n, string last) => NextLink("/v2/_catalog", n, last);

    /// <summary>The range header for an upload holding <paramref name="size"/> bytes: <c>0-(size-1)</c>, or <c>0-0</c> when empty.</summary>
    public static string Range(long size) => $"0-{Math.Max(size - 1, 0)}";

    private static string NextLink(string path, int n, string last) =>
        $"<{path}?n={n}&last={Uri.EscapeDataString(last)}>; rel=\"next\"";
}
