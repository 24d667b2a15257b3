using Registry.Grains.Abstractions;

namespace Registry.Api.Oci;

/// <summary><c>/v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>: only blobs linked to the repository are visible in it.</summary>
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
        var content = await s.Blobs.OpenReadAsync(digest, context.RequestAborted);
        if (content is null) { await OciErrors.WriteAsync(context, OciErrorCode.BlobUnknown, digest.ToString()); return; }
        await using (content)
        {
            await BlobSender.SendAsync(context, content, size.Value, OctetStream);
        }
        if (response.StatusCode is StatusCodes.Status200OK or StatusCodes.Status206PartialContent) s.Metrics.BytesOut(response.ContentLength ?? 0);
    }

    public static async Task DeleteAsync(HttpContext context, OciRoute route, OciServices s)
    {
        if (!Digest.TryParse(route.Reference, out var digest)) { await OciErrors.WriteAsync(context, OciErrorCode.DigestInvalid, route.Reference); return; }
        if (!await s.Grains.GetGrain<IRepositoryGrain>(route.Name).UnlinkBlobAsync(digest))
        {
            await OciErrors.WriteAsync(context, OciErrorCode.BlobUnknown, digest.ToString());
            return;
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }
}
