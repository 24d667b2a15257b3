using System.Text.Json;
using Registry.Grains.Abstractions;

namespace Registry.Api.Oci;

/// <summary>
/// Every OCI error the registry can answer, declared once (code, message, status), and the one
/// writer of the spec's <c>{"errors":[{"code","message","detail"}]}</c> body. Handlers never format errors.
/// </summary>
public static class OciErrors
{
    private static readonly Dictionary<OciErrorCode, (string Code, string Message, int Status)> Table = new()
    {
        [OciErrorCode.BlobUnknown] = ("BLOB_UNKNOWN", "blob unknown to registry", 404),
        [OciErrorCode.BlobUploadInvalid] = ("BLOB_UPLOAD_INVALID", "blob upload invalid", 400),
        [OciErrorCode.BlobUploadUnknown] = ("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404),
        [OciErrorCode.DigestInvalid] = ("DIGEST_INVALID", "provided digest did not match uploaded content", 400),
        [OciErrorCode.ManifestBlobUnknown] = ("MANIFEST_BLOB_UNKNOWN", "manifest references a manifest or blob unknown to registry", 400),
        [OciErrorCode.ManifestInvalid] = ("MANIFEST_INVALID", "manifest invalid", 400),
        [OciErrorCode.ManifestUnknown] = ("MANIFEST_UNKNOWN", "manifest unknown to registry", 404),
        [OciErrorCode.ManifestTooLarge] = ("SIZE_INVALID", "manifest exceeds the size limit", 413),
        [OciErrorCode.NameInvalid] = ("NAME_INVALID", "invalid repository name", 400),
        [OciErrorCode.NameUnknown] = ("NAME_UNKNOWN", "repository name not known to registry", 404),
        [OciErrorCode.SizeInvalid] = ("SIZE_INVALID", "provided length did not match content length", 400),
        [OciErrorCode.Unauthorized] = ("UNAUTHORIZED", "authentication required", 401),
        [OciErrorCode.Denied] = ("DENIED", "requested access to the resource is denied", 403),
        [OciErrorCode.Unsupported] = ("UNSUPPORTED", "the operation is unsupported", 405),
        [OciErrorCode.TooManyRequests] = ("TOOMANYREQUESTS", "too many requests", 429),
        [OciErrorCode.RangeInvalid] = ("RANGE_INVALID", "invalid content range", 416),
        [OciErrorCode.PaginationNumberInvalid] = ("PAGINATION_NUMBER_INVALID", "invalid number of results requested", 400),
        [OciErrorCode.TagInvalid] = ("TAG_INVALID", "manifest tag did not match URI", 400),
        [OciErrorCode.RouteUnknown] = ("NOT_FOUND", "no such endpoint in the distribution API", 404),
        [OciErrorCode.Unavailable] = ("UNAVAILABLE", "service unavailable", 503),
        [OciErrorCode.Unknown] = ("UNKNOWN", "unknown error", 500),
        [OciErrorCode.PolicyDenied] = ("DENIED", "denied by a project policy", 403),
    };

    public static int StatusOf(OciErrorCode code) => Table[code].Status;

    public static string CodeOf(OciErrorCode code) => Table[code].Code;

    public static async Task WriteAsync(HttpContext context, OciErrorCode code, string? detail = null)
    {
        var (name, message, status) = Table[code];
        if (code == OciErrorCode.PolicyDenied && detail is not null) message = detail;
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        if (HttpMethods.IsHead(context.Request.Method)) return;
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteStartArray("errors");
        writer.WriteStartObject();
        writer.WriteString("code", name);
        writer.WriteString("message", message);
        if (detail is not null) writer.WriteString("detail", detail);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync();
    }
}
