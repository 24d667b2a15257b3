using Registry.Grains.Abstractions;

namespace Registry.Api.Oci;

/// <summary>
/// <c>/v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>: only blobs linked to the repository are visible in it.
/// With <see cref="Hosting.RegistryOptions.RedirectBlobDownloads"/> a GET is answered 307 to a
/// short-lived signed URL of the blob store, when the store can sign one.
/// </summary>
public static class BlobEndpoints
{
    private const string OctetStream = "application/octet-stream";

    public static async Task GetAsync(HttpContext context, OciRoute route, OciServices s)
    {
        if (!Digest.TryParse(route.Reference, out var digest)) { await OciErrors.WriteAsync(context, OciErrorCode.DigestInvalid, route.Reference); return; }
        var size = await s.Grains.GetGrain<IRepositoryGrain>(route.Name).GetBlobSizeAsync(digest);
        if (size is null) { await OciErrors.WriteAsync(context, OciErrorCode.BlobUnknown, digest.ToString()); return; }

        var response = context.Response;
        response.Headers["Docker-Content-Digest"] = digest.ToString();
        response.Headers.ETag = $"\"{digest}\"";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            response.ContentType = OctetStream;
            response.ContentLength = size;
            response.Headers.AcceptRanges = "bytes";
            return;
        }
        if (s.Options.RedirectBlobDownloads && await DownloadUrlAsync(s, digest, size.Value, context.RequestAborted) is { } url)
        {
            response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            response.Headers.Location = url.AbsoluteUri;
            response.ContentLength = 0;
            return;
        }
        var content = await s.Blobs.OpenReadAsync(digest, context.RequestAborted);
        if (content is null) { await OciErrors.WriteAsync(context, OciErrorCode.BlobUnknown, digest.ToString()); return; }
        await using (content)
        {
            await BlobSender.SendAsync(context, content, size.Value, OctetStream);
        }
        if (response.StatusCode is StatusCodes.Status200OK or StatusCodes.Status206PartialContent) s.Metrics.BytesOut(response.ContentLength ?? 0);
    }

    /// <summary>
    /// A signed URL of the store's copy, when the store can sign one and its copy has the recorded
    /// size; otherwise null and the blob is streamed (which answers BLOB_UNKNOWN for a missing copy).
    /// </summary>
    private static async Task<Uri?> DownloadUrlAsync(OciServices s, Digest digest, long size, CancellationToken cancellationToken)
    {
        var url = await s.Blobs.GetDownloadUrlAsync(digest, TimeSpan.FromMinutes(s.Options.BlobRedirectMinutes), cancellationToken);
        return url is not null && await s.Blobs.GetSizeAsync(digest, cancellationToken) == size ? url : null;
    }

    public static async Task DeleteAsync(HttpContext context, OciRoute route, OciServices s, Auth.Caller? caller = null)
    {
        if (!Digest.TryParse(route.Reference, out var digest)) { await OciErrors.WriteAsync(context, OciErrorCode.DigestInvalid, route.Reference); return; }
        if (!await s.Grains.GetGrain<IRepositoryGrain>(route.Name).UnlinkBlobAsync(digest))
        {
            await OciErrors.WriteAsync(context, OciErrorCode.BlobUnknown, digest.ToString());
            return;
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
        // Unlinking a blob from a repository is a change like any other: audited under the repository's project.
        var project = await s.Grains.GetGrain<IProjectGrain>(RepositoryName.ProjectOf(route.Name)).GetAsync();
        await s.Audit.RecordAsync(caller?.Username ?? "anonymous", project?.Id, $"{route.Name}@{digest}", "blob", "delete");
    }
}
