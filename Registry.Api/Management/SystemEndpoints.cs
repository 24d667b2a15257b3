using System.Reflection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Registry.Grains.Storage;

namespace Registry.Api.Management;

public sealed record GeneralInfo(
    bool WithNotary, string AuthMode, string? RegistryUrl, string? ExternalUrl, string ProjectCreationRestriction, bool SelfRegistration,
    bool HasCaRoot, string HarborVersion, string? RegistryStorageProviderName, bool ReadOnly, bool PrimaryAuthMode, string BannerMessage);

public sealed record ComponentHealthStatus(string Name, string Status, string? Error);

public sealed record OverallHealthStatus(string Status, IReadOnlyList<ComponentHealthStatus> Components);

/// <summary><c>/systeminfo</c>, <c>/health</c>, <c>/ping</c>.</summary>
public static class SystemEndpoints
{
    public static readonly string Version = "v2.13.0-compat+registry-" +
        (typeof(SystemEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "dev");

    public static RouteGroupBuilder MapSystemEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/systeminfo", InfoAsync).WithSummary("Get general system info").Produces<GeneralInfo>();
        api.MapGet("/health", HealthAsync).WithSummary("Check the status of Harbor components").Produces<OverallHealthStatus>();
        api.MapGet("/ping", () => Results.Text("Pong")).WithSummary("Ping Harbor to check if the API server is alive.").Produces<string>(200, "text/plain");
        return api;
    }

    /// <summary>Anonymous callers get what a login page needs; signed-in callers everything.</summary>
    private static async Task<GeneralInfo> InfoAsync(HttpContext context, SystemSettings settings, IBlobStore blobs)
    {
        var caller = context.Caller();
        var current = await settings.GetAsync(context.RequestAborted);
        var host = context.Request.Host.ToString();
        var signedIn = !caller.IsAnonymous;
        return new GeneralInfo(false, current.AuthMode, signedIn ? host : null, signedIn ? $"{context.Request.Scheme}://{host}" : null,
            current.OnlyAdminsCreateProjects ? "adminonly" : "everyone", current.SelfRegistration, false, Version,
            signedIn ? (blobs.GetType().Name.Contains("Azure", StringComparison.Ordinal) ? "azure" : "filesystem") : null, false, false, "");
    }

    private static async Task<IResult> HealthAsync(HealthCheckService health, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        var components = report.Entries.Select(e => new ComponentHealthStatus(e.Key, e.Value.Status == HealthStatus.Healthy ? "healthy" : "unhealthy",
            e.Value.Status == HealthStatus.Healthy ? null : e.Value.Description ?? e.Value.Exception?.Message)).ToList();
        var healthy = report.Status == HealthStatus.Healthy;
        // Harbor answers 200 with the overall status in the body.
        return Results.Json(new OverallHealthStatus(healthy ? "healthy" : "unhealthy", components), ManagementJson.Options);
    }
}
