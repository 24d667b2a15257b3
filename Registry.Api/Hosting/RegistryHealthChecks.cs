using Microsoft.Extensions.Diagnostics.HealthChecks;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using Registry.Grains.Storage;

namespace Registry.Api.Hosting;

/// <summary>Readiness: the metadata store answers, the blob store answers, the silo serves a grain call.</summary>
public static class RegistryHealthChecks
{
    private static readonly Digest Probe = Digest.Compute([]);

    public static IHealthChecksBuilder AddRegistryChecks(this IHealthChecksBuilder checks) => checks
        .AddCheck<MetadataCheck>("metadata")
        .AddCheck<BlobStoreCheck>("blobstore")
        .AddCheck<SiloCheck>("silo");

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
