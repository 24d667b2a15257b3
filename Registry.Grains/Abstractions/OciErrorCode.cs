namespace Registry.Grains.Abstractions;

/// <summary>
/// Failures the registry reports to OCI clients. Grains return these; the API maps each to its
/// code, message and HTTP status in one table.
/// </summary>
public enum OciErrorCode
{
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    ManifestTooLarge,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
    RangeInvalid,
    PaginationNumberInvalid,
    TagInvalid,
    RouteUnknown,
    /// <summary>A backing service or cluster node is out of reach; the client should retry.</summary>
    Unavailable,
    /// <summary>An unexpected failure.</summary>
    Unknown,
    /// <summary>
    /// DENIED (403) by a project policy (a storage quota, an immutable tag): the detail is the
    /// message, as clients such as docker and skopeo show only the message.
    /// </summary>
    PolicyDenied,
}
