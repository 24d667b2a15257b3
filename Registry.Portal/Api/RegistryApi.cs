using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Portal.Api;

/// <summary>The outcome of one API call: the value, or the API's own error message (never a stack trace).</summary>
public sealed record ApiResult<T>(HttpStatusCode Status, T? Value, string? Error, long? Total = null, string? Location = null)
{
    public bool Ok => (int)Status is >= 200 and < 300;

    /// <summary>The id at the end of <c>Location</c> after a 201.</summary>
    public long? CreatedId => Location is { } l && long.TryParse(l.Split('/')[^1], out var id) ? id : null;
}

/// <summary>
/// The portal's only way to the registry: the Harbor-compatible management API, called with the
/// signed-in user's API token (a bearer JWT from the token service, held in the encrypted session
/// cookie). Errors come back as the API's message, for the page to show next to its form.
/// </summary>
public sealed class RegistryApi(IHttpClientFactory clients, IHttpContextAccessor accessor)
{
    public const string TokenClaim = "api_token";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private HttpClient Client()
    {
        var client = clients.CreateClient(ApiClientExtensions.ClientName);
        var token = accessor.HttpContext?.User.FindFirst(TokenClaim)?.Value;
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A path under <c>/api/v2.0</c>, with each segment given already escaped where needed.</summary>
    private static string Url(string path) => path.StartsWith("/api/", StringComparison.Ordinal) || path.StartsWith("/service/", StringComparison.Ordinal) ? path : "/api/v2.0" + path;

    public Task<ApiResult<T>> GetAsync<T>(string path, CancellationToken cancellationToken = default) =>
        SendAsync<T>(HttpMethod.Get, path, null, cancellationToken);

    public Task<ApiResult<JsonElement>> PostAsync(string path, object? body, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement>(HttpMethod.Post, path, body, cancellationToken);

    public Task<ApiResult<JsonElement>> PutAsync(string path, object? body, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement>(HttpMethod.Put, path, body, cancellationToken);

    public Task<ApiResult<T>> PatchAsync<T>(string path, object? body, CancellationToken cancellationToken = default) =>
        SendAsync<T>(HttpMethod.Patch, path, body, cancellationToken);

    public Task<ApiResult<JsonElement>> DeleteAsync(string path, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement>(HttpMethod.Delete, path, null, cancellationToken);

    public async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, Url(path));
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        HttpResponseMessage response;
        try
        {
            response = await Client().SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            return new ApiResult<T>(HttpStatusCode.ServiceUnavailable, default, $"the registry API cannot be reached ({e.Message})");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ApiResult<T>(HttpStatusCode.GatewayTimeout, default, "the registry API did not answer in time");
        }
        using (response)
        {
            long? total = response.Headers.TryGetValues("X-Total-Count", out var totals) && long.TryParse(totals.FirstOrDefault(), out var t) ? t : null;
            var location = response.Headers.Location?.ToString();
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode) return new ApiResult<T>(response.StatusCode, default, ErrorOf(response.StatusCode, text), total, location);
            if (typeof(T) == typeof(string)) return new ApiResult<T>(response.StatusCode, (T)(object)text, null, total, location);
            if (string.IsNullOrWhiteSpace(text)) return new ApiResult<T>(response.StatusCode, default, null, total, location);
            try
            {
                return new ApiResult<T>(response.StatusCode, JsonSerializer.Deserialize<T>(text, Json), null, total, location);
            }
            catch (JsonException)
            {
                return new ApiResult<T>(HttpStatusCode.BadGateway, default, "the registry API answered something unexpected", total, location);
            }
        }
    }

    /// <summary>The message of Harbor's <c>{"errors":[{"code","message"}]}</c>, or a plain description of the status.</summary>
    public static string ErrorOf(HttpStatusCode status, string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0
                && errors[0].TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text)
                return text;
        }
        catch (JsonException)
        {
        }
        return status switch
        {
            HttpStatusCode.Unauthorized => "your session has ended; sign in again",
            HttpStatusCode.Forbidden => "you are not allowed to do this",
            HttpStatusCode.NotFound => "not found",
            _ => $"the registry API answered {(int)status} {status}",
        };
    }

    /// <summary>Escapes one path segment (a repository name keeps its slashes double-encoded, as Harbor clients do).</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);

    public static string RepositorySegment(string nameInProject) => Uri.EscapeDataString(Uri.EscapeDataString(nameInProject));
}
