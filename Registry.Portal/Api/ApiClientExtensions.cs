namespace Registry.Portal;

/// <summary>
/// Registers the portal's client of the Registry API. The base address names the "api" service,
/// which service discovery resolves from <c>services:api:http:0</c> (what an AppHost injects),
/// so the portal never hard-codes where the API runs.
/// </summary>
public static class ApiClientExtensions
{
    /// <summary>Name of the <see cref="HttpClient"/> that talks to the Registry API.</summary>
    public const string ClientName = "api";

    /// <summary>Adds the named "api" client and the probe the home page uses.</summary>
    public static IHostApplicationBuilder AddRegistryApiClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(ClientName, client => client.BaseAddress = new Uri("http://api"));
        builder.Services.AddTransient<ApiProbe>();
        return builder;
    }
}
