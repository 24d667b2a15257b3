using Microsoft.Extensions.Diagnostics.HealthChecks;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using Registry.Grains.Storage;
using StackExchange.Redis;

namespace Registry.Api.Hosting;

/// <summary>Readiness: the metadata store, the blob store and Redis (when configured) answer, the silo serves a grain call.</summary>
public static class RegistryHealthChecks
{
    private static readonly Digest Probe = Digest.Compute([]);

    public static IHealthChecksBuilder AddRegistryChecks(this IHealthChecksBuilder checks, BackingServices backing)
    {
        checks.AddCheck<MetadataCheck>("metadata").AddCheck<BlobStoreCheck>("blobstore").AddCheck<SiloCheck>("silo");
        return backing.Redis is null ? checks : checks.AddCheck<RedisCheck>("redis");
    }

    private sealed class RedisCheck([FromKeyedServices(BackingServices.RedisServiceKey)] IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy($"ping {latency.TotalMilliseconds:0.0} ms");
        }
    }

    private sealed class MetadataCheck(IAccountStore accounts) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await accounts.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
    }

    private sealed class BlobStoreCheck(IBlobStore blobs) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await blobs.GetSizeAsync(Probe, cancellationToken);
            return HealthCheckResult.Healthy();
        }
    }

    private sealed class SiloCheck(IGrainFactory grains) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await grains.GetGrain<IProjectGrain>("library").GetAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy();
        }
    }
}
