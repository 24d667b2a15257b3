using Microsoft.Extensions.Options;
using Registry.Api.Auth;
using Registry.Api.Hosting;
using Registry.Api.Management;
using Registry.Grains.Metadata;
using Registry.Grains.Storage;

namespace Registry.Api.Oci;

/// <summary>What every distribution handler needs, injected once into the dispatcher.</summary>
public sealed class OciServices(
    IGrainFactory grains,
    IBlobStore blobs,
    IListingStore listings,
    RequestAuthenticator authenticator,
    AccessPolicy policy,
    UploadHashes hashes,
    RegistryMetrics metrics,
    PullRecorder pulls,
    IOptions<RegistryOptions> options,
    ILogger<OciServices> logger,
    ILocalSiloDetails silo,
    Management.AuditLog audit)
{
    public IGrainFactory Grains { get; } = grains;
    public IBlobStore Blobs { get; } = blobs;
    public IListingStore Listings { get; } = listings;
    public RequestAuthenticator Authenticator { get; } = authenticator;
    public AccessPolicy Policy { get; } = policy;
    public UploadHashes Hashes { get; } = hashes;
    public RegistryMetrics Metrics { get; } = metrics;
    public PullRecorder Pulls { get; } = pulls;
    public RegistryOptions Options { get; } = options.Value;
    public ILogger Logger { get; } = logger;
    public Management.AuditLog Audit { get; } = audit;

    /// <summary>This node's silo, named as the writer of the upload leases it takes.</summary>
    public SiloAddress LocalSilo { get; } = silo.SiloAddress;
}
