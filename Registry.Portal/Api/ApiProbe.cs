namespace Registry.Portal;

/// <summary>
/// Answers "is the registry API up, and where is it?" for the home page. <c>GET /v2/</c> is the
/// OCI version check: 200, or 401 when authentication is required, both mean the API is serving.
/// </summary>
public sealed class ApiProbe(IHttpClientFactory clients, IConfiguration configuration)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary>The API address as configured (<c>services:api:http:0</c>), or null when absent.</summary>
    public Uri? ConfiguredAddress =>
        Uri.TryCreate(configuration["services:api:http:0"] ?? configuration["services:api:https:0"],
            UriKind.Absolute, out var uri) ? uri : null;

    /// <summary>Calls <c>GET /v2/</c> with a short deadline so a down API cannot stall the page.</summary>
    public async Task<ApiStatus> CheckAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            using var response = await clients.CreateClient(ApiClientExtensions.ClientName)
                .GetAsync("/v2/", HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var code = (int)response.StatusCode;
            return new ApiStatus(code is 200 or 401, $"GET /v2/ answered {code} {response.ReasonPhrase}");
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or InvalidOperationException)
        {
            var reason = ex is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : ex.Message;
            return new ApiStatus(false, $"GET /v2/ failed: {reason}");
        }
    }
}

/// <summary>The outcome of one probe: up or not, and what was observed.</summary>
public sealed record ApiStatus(bool IsUp, string Detail);
