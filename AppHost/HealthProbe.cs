namespace Registry.AppHost;

/// <summary>What one GET /health said.</summary>
internal sealed record HealthResult(bool IsHealthy, string Text);

/// <summary>
/// Polls each service's /health (every check must pass: readiness), the endpoint ServiceDefaults maps.
/// </summary>
internal sealed class HealthProbe : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };

    public async Task<HealthResult> CheckAsync(Uri baseUrl, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri(baseUrl, "/health"), cancellationToken);
            return response.IsSuccessStatusCode
                ? new HealthResult(true, "Healthy")
                : new HealthResult(false, $"Unhealthy ({(int)response.StatusCode})");
        }
        catch (HttpRequestException)
        {
            return new HealthResult(false, "Unreachable");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthResult(false, "No answer");
        }
    }

    public void Dispose() => _http.Dispose();
}
