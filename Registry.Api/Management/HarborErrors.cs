namespace Registry.Api.Management;

/// <summary>
/// A failure of a management API call, answered in Harbor's shape
/// <c>{"errors":[{"code","message"}]}</c> with its status. Handlers throw it; one filter writes it.
/// </summary>
public sealed class HarborException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}

public static class Harbor
{
    public static HarborException BadRequest(string message) => new(400, "BAD_REQUEST", message);
    public static HarborException Unauthorized(string message = "unauthorized") => new(401, "UNAUTHORIZED", message);
    public static HarborException Forbidden(string message = "forbidden") => new(403, "FORBIDDEN", message);
    public static HarborException NotFound(string message) => new(404, "NOT_FOUND", message);
    public static HarborException Conflict(string message) => new(409, "CONFLICT", message);
    public static HarborException Precondition(string message) => new(412, "PRECONDITION", message);

    public sealed record ErrorBody(IReadOnlyList<ErrorItem> Errors);

    public sealed record ErrorItem(string Code, string Message);

    public static Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorBody([new ErrorItem(code, message)]), ManagementJson.Options, "application/json; charset=utf-8");
    }

    /// <summary>
    /// Harbor's answer to a failure: 503 with <c>Retry-After</c> when <paramref name="unavailable"/>
    /// names the component out of reach, else 500 naming the request's trace id.
    /// </summary>
    public static Task WriteFailureAsync(HttpContext context, string? unavailable)
    {
        if (unavailable is null) return WriteAsync(context, 500, "INTERNAL_SERVER_ERROR", $"internal error ({context.TraceIdentifier})");
        context.Response.Headers.RetryAfter = Oci.OciFailures.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteAsync(context, 503, "SERVICE_UNAVAILABLE", $"{unavailable} unavailable; retry");
    }

    public static string CodeFor(int status) => status switch
    {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        409 => "CONFLICT",
        412 => "PRECONDITION",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        429 => "TOO_MANY_REQUESTS",
        503 => "SERVICE_UNAVAILABLE",
        _ when status >= 500 => "INTERNAL_SERVER_ERROR",
        _ => "ERROR",
    };
}

/// <summary>Harbor's JSON: snake_case names, nulls left out.</summary>
public static class ManagementJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
