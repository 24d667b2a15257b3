using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Registry.Api.Auth;
using Registry.Api.Management;
using Registry.Api.Oci;
using Registry.Grains;
using StackExchange.Redis;

namespace Registry.Api.Hosting;

/// <summary>Registration of the registry's parts; Program.cs only calls these.</summary>
public static class RegistryHostingExtensions
{
    /// <summary>
    /// Storage for what the configuration names (see <see cref="BackingServices"/>): PostgreSQL or
    /// SQLite for metadata, Azure Blob or the filesystem for blobs, Redis or the data path for
    /// data-protection keys and the shared cache. Each component is chosen on its own.
    /// </summary>
    public static WebApplicationBuilder AddRegistryStorage(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var backing = BackingServices.From(config);
        var dataPath = DataPath(builder);
        var services = builder.Services;
        services.Configure<RegistryOptions>(config.GetSection(RegistryOptions.Section));

        // First hosted service: nothing else starts until the named services answer.
        services.AddHostedService<BackingServicesCheck>();

        if (backing.RegistryDb is { } db) services.AddPostgresMetadata(db);
        else services.AddSqliteMetadata(dataPath);

        if (backing.Blobs is { } blobs)
        {
            services.AddAzureBlobs(blobs, config[$"{RegistryOptions.Section}:{nameof(RegistryOptions.BlobContainer)}"] ?? new RegistryOptions().BlobContainer);
        }
        else
        {
            services.AddFileSystemBlobs(dataPath);
        }

        var dataProtection = services.AddDataProtection().SetApplicationName("registry");
        if (backing.Redis is { } redis)
        {
            // One multiplexer per node, keyed "redis" as Aspire registers it; Orleans clustering and
            // reminders find it through Orleans:*:ServiceKey. It reconnects on its own after an outage.
            var multiplexer = new Lazy<IConnectionMultiplexer>(() =>
            {
                var options = ConfigurationOptions.Parse(redis);
                options.AbortOnConnectFail = false;
                return ConnectionMultiplexer.Connect(options);
            });
            services.AddKeyedSingleton(BackingServices.RedisServiceKey, (_, _) => multiplexer.Value);
            dataProtection.PersistKeysToStackExchangeRedis(() => multiplexer.Value.GetDatabase(), "registry:data-protection-keys");
            services.AddStackExchangeRedisCache(o =>
            {
                o.ConnectionMultiplexerFactory = () => Task.FromResult(multiplexer.Value);
                o.InstanceName = "registry:cache:";
            });
        }
        else
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(Path.GetFullPath(dataPath), "keys", "data-protection")));
            services.AddDistributedMemoryCache();
        }

        services.AddHostedService<RegistryBootstrapper>();
        services.AddHealthChecks().AddRegistryChecks(backing);
        return builder;
    }

    /// <summary>
    /// The co-hosted Orleans silo, configured by the standard <c>Orleans:*</c> keys. With Redis
    /// configured, clustering and reminders default to it; otherwise it is a one-silo localhost
    /// cluster on <c>Orleans:Endpoints:SiloPort|GatewayPort</c> (11111/30000) with in-memory reminders.
    /// </summary>
    public static WebApplicationBuilder AddRegistrySilo(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var backing = BackingServices.From(config);
        backing.Validate(config);
        var defaults = backing.OrleansDefaults(config).ToList();
        if (defaults.Count > 0)
        {
            config.AddInMemoryCollection(defaults);
        }

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

            if (string.IsNullOrEmpty(config["Orleans:Reminders:ProviderType"]))
            {
                silo.UseInMemoryReminderService();
            }

            silo.AddIncomingGrainCallFilter<Registry.Grains.Grains.BackingFailureFilter>();
            silo.AddActivityPropagation();
        });
        return builder;
    }

    /// <summary>Users, the token service and the access policy.</summary>
    public static WebApplicationBuilder AddRegistryAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<TokenKeys>();
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
        builder.Services.AddSingleton<PullRecorder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PullRecorder>());
        builder.Services.AddSingleton<OciServices>();
        builder.Services.AddHostedService<UploadSweepService>();
        builder.Services.AddHostedService<RecycleBinSweepService>();
        builder.Services.AddHostedService<RetentionScheduleService>();
        return builder;
    }

    private static string DataPath(WebApplicationBuilder builder) =>
        builder.Configuration[$"{RegistryOptions.Section}:{nameof(RegistryOptions.DataPath)}"] ?? new RegistryOptions().DataPath;
}
