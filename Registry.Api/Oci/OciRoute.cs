namespace Registry.Api.Oci;

public enum OciRouteKind { Base, Catalog, Tags, Manifest, Blob, UploadStart, Upload, Referrers }

/// <summary>
/// A <c>/v2/...</c> path parsed once into what it addresses. Repository names contain '/', so the
/// path is read from its end: the trailing segments say what it is, the rest is the name.
/// </summary>
public readonly record struct OciRoute(OciRouteKind Kind, string Name, string Reference)
{
    /// <summary>Parses the part after <c>/v2/</c>; false when it is no distribution endpoint.</summary>
    public static bool TryParse(string path, out OciRoute route)
    {
        route = default;
        if (path.Length == 0) { route = new(OciRouteKind.Base, "", ""); return true; }
        if (path is "_catalog") { route = new(OciRouteKind.Catalog, "", ""); return true; }
        var segments = path.Split('/');
        var n = segments.Length;
        if (n >= 3 && segments[n - 2] == "tags" && segments[n - 1] == "list") return Make(OciRouteKind.Tags, segments, n - 2, "", out route);
        if (n < 3) return false;
        var last = segments[n - 1];
        switch (segments[n - 2])
        {
            case "manifests" when last.Length > 0: return Make(OciRouteKind.Manifest, segments, n - 2, last, out route);
            case "referrers" when last.Length > 0: return Make(OciRouteKind.Referrers, segments, n - 2, last, out route);
            case "uploads" when n >= 4 && segments[n - 3] == "blobs":
                return last.Length == 0
                    ? Make(OciRouteKind.UploadStart, segments, n - 3, "", out route)
                    : Make(OciRouteKind.Upload, segments, n - 3, last, out route);
            case "blobs" when last == "uploads": return Make(OciRouteKind.UploadStart, segments, n - 2, "", out route);
            case "blobs" when last.Length > 0: return Make(OciRouteKind.Blob, segments, n - 2, last, out route);
            default: return false;
        }
    }

    private static bool Make(OciRouteKind kind, string[] segments, int nameEnd, string reference, out OciRoute route)
    {
        route = new OciRoute(kind, string.Join('/', segments, 0, nameEnd), reference);
        return nameEnd > 0;
    }
}
