namespace Registry.Api.Hosting;

/// <summary>The <c>Registry:*</c> configuration section.</summary>
public sealed class RegistryOptions
{
    public const string Section = "Registry";

    /// <summary>Where the embedded profile keeps its database, blobs and signing key.</summary>
    public string DataPath { get; set; } = "./.data";

    /// <summary>The admin's password at first start; when unset one is generated and printed once.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>The <c>service</c> of issued tokens (their audience).</summary>
    public string TokenService { get; set; } = "registry";

    public string TokenIssuer { get; set; } = "registry-token-issuer";

    /// <summary>Token realm URL; by default built from the request's own scheme and host.</summary>
    public string? TokenRealm { get; set; }

    public int TokenLifetimeMinutes { get; set; } = 30;

    /// <summary>Largest manifest accepted, in bytes (the spec suggests at least 4 MiB).</summary>
    public int MaxManifestBytes { get; set; } = 4 << 20;

    /// <summary>An upload whose session and bytes were untouched this long is removed by the sweep.</summary>
    public double UploadTimeoutHours { get; set; } = 24;

    public int UploadSweepIntervalMinutes { get; set; } = 60;

    /// <summary>
    /// Blob GETs answer 307 to a short-lived signed URL of the blob store instead of streaming,
    /// when the store can sign one (Azure Blob). Off by default.
    /// </summary>
    public bool RedirectBlobDownloads { get; set; }

    /// <summary>The Azure Blob container of the distributed profile.</summary>
    public string BlobContainer { get; set; } = "registry";

    /// <summary>How long a node waits at start for the backing services it is configured with.</summary>
    public int StartupWaitSeconds { get; set; } = 30;

    /// <summary>How long a redirect URL stays valid.</summary>
    public int BlobRedirectMinutes { get; set; } = 10;

    /// <summary>
    /// Pulls are counted in memory and written to the metadata store in one batch this often
    /// (and at shutdown), for the pull time and count of the management API.
    /// </summary>
    public double PullFlushSeconds { get; set; } = 5;
}
