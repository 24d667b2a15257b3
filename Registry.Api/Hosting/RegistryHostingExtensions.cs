using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Registry.Api.Auth;
using Registry.Api.Oci;
using Registry.Grains;

namespace Registry.Api.Hosting;

/// <summary>Registration of the registry's parts; Program.cs only calls these.</summary>
public static class RegistryHostingExtensions
{
    /// <summary>Storage for the profile the configuration chooses (embedded: SQLite and files under <c>Registry:DataPath</c>).</summary>
    public static WebApplicationBuilder AddRegistryStorage(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<RegistryOptions>(builder.Configuration.GetSection(RegistryOptions.Section));
        builder.Services.AddEmbeddedStorage(DataPath(builder));
        builder.Services.AddHostedService<RegistryBootstrapper>();
        builder.Services.AddHealthChecks().AddRegistryChecks();
        return builder;
    }

    /// <summary>
    /// The co-hosted Orleans silo. Without a configured clustering provider it is a one-silo
    /// localhost cluster on <c>Orleans:Endpoints:SiloPort|GatewayPort</c> (11111/30000).
    /// </summary>
    public static WebApplicationBuilder AddRegistrySilo(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        builder.UseOrleans(silo =>
        {
            if (string.IsNullOrEmpty(config["Orleans:Clustering:ProviderType"]))
            {
                silo.UseLocalhostClustering(
                    siloPort: config.GetValue("Orleans:Endpoints:SiloPort", 11111),
                    gatewayPort: config.GetValue("Orleans:Endpoints:GatewayPort", 30000),
                    serviceId: config["Orleans:ServiceId"] ?? "registry",
                    clusterId: config["Orleans:ClusterId"] ?? "registry");
                silo.Configure<Orleans.Configuration.EndpointOptions>(o => o.AdvertisedIPAddress = IPAddress.Loopback);
            }
            silo.AddActivityPropagation();
        });
        return builder;
    }

    /// <summary>Users, the token service and the access policy.</summary>
    public static WebApplicationBuilder AddRegistryAuth(this WebApplicationBuilder builder)
    {
        var dataPath = DataPath(builder);
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton(_ => new TokenKeys(dataPath));
        builder.Services.AddSingleton<TokenService>();
        builder.Services.AddSingleton<UserAuthenticator>();
        builder.Services.AddSingleton<AccessPolicy>();
        builder.Services.AddSingleton<RequestAuthenticator>();
        return builder;
    }

    /// <summary>The distribution API; blob bodies have no size limit (manifests are capped by their handler).</summary>
    public static WebApplicationBuilder AddOciApi(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<KestrelServerOptions>(o =>
        {
            o.Limits.MaxRequestBodySize = null;
            // A larger request buffer lets Kestrel keep reading while a blob chunk is hashed and
            // written (2.1x distribution on big pushes); responses keep the default so a client
            // that stops reading holds only a little memory.
            o.Limits.MaxRequestBufferSize = 8 << 20;
        });
        builder.Services.AddSingleton<UploadHashes>();
        builder.Services.AddSingleton<RegistryMetrics>();
        builder.Services.AddSingleton<OciServices>();
        builder.Services.AddHostedService<UploadSweepService>();
        return builder;
    }

    private static string DataPath(WebApplicationBuilder builder) =>
        builder.Configuration[$"{RegistryOptions.Section}:{nameof(RegistryOptions.DataPath)}"] ?? new RegistryOptions().DataPath;
}
