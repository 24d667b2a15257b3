using Microsoft.AspNetCore.Authentication.Cookies;

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

    /// <summary>Adds the named "api" client, the typed API wrapper and the session cookie.</summary>
    public static IHostApplicationBuilder AddRegistryApiClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(ClientName, client => client.BaseAddress = new Uri("http://api"));
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddTransient<ApiProbe>();
        builder.Services.AddScoped<Api.RegistryApi>();
        builder.Services.AddScoped<Api.Session>();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/account/login";
                o.LogoutPath = "/account/logout";
                o.AccessDeniedPath = "/account/login";
                o.Cookie.Name = "registry.session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.SlidingExpiration = false;
            });
        builder.Services.AddAuthorization();
        return builder;
    }
}
