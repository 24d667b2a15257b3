using System.Security.Cryptography;
using Registry.Grains.Abstractions;

namespace Registry.Grains.Storage;

/// <summary>
/// Pure I/O over content-addressed blobs and in-progress uploads. Validation, metrics and tracing
/// live in <see cref="CheckedBlobStore"/>, which wraps every driver; conformance tests run the
/// same suite against each driver.
/// </summary>
public interface IBlobStore
{
    /// <summary>Size of a committed blob, or null when absent.</summary>
    ValueTask<long?> GetSizeAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Opens a committed blob for reading, or null when absent.</summary>
    ValueTask<BlobContent?> OpenReadAsync(Digest digest, CancellationToken cancellationToken = default);

    ValueTask<bool> DeleteAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Bytes stored so far for an upload, or -1 when the upload has no data area.</summary>
    ValueTask<long> GetUploadSizeAsync(string uploadId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Truncates the upload to <paramref name="offset"/> (so a retried chunk is harmless), then
    /// appends <paramref name="source"/> while feeding <paramref name="hash"/>. Returns the bytes written.
    /// </summary>
    ValueTask<long> AppendUploadAsync(string uploadId, long offset, Stream source, IncrementalHash? hash, CancellationToken cancellationToken = default);

    /// <summary>Opens the stored bytes of an upload, to recompute a digest.</summary>
    ValueTask<Stream> OpenUploadAsync(string uploadId, CancellationToken cancellationToken = default);

    /// <summary>Atomically turns the upload into the blob <paramref name="digest"/>; an intact existing blob is kept.</summary>
    ValueTask CommitUploadAsync(string uploadId, Digest digest, CancellationToken cancellationToken = default);

    ValueTask DeleteUploadAsync(string uploadId, CancellationToken cancellationToken = default);

    /// <summary>Every upload that has bytes stored, with the time of its last write: what the sweep looks at.</summary>
    IAsyncEnumerable<StoredUpload> ListUploadsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A URL from which whoever holds it can read the committed blob <paramref name="digest"/>
    /// straight from the store for <paramref name="lifetime"/>, or null when the driver cannot sign
    /// one (a local filesystem; a store reached without a signing key). Signing does no I/O and
    /// does not check that the blob exists.
    /// </summary>
    ValueTask<Uri?> GetDownloadUrlAsync(Digest digest, TimeSpan lifetime, CancellationToken cancellationToken = default);
}

public sealed record StoredUpload(string Id, long Size, DateTimeOffset LastWrite);

/// <summary>
/// An open blob. <see cref="LocalPath"/> is set by drivers whose bytes are a local file, so the
/// web server can send it with zero copies.
/// </summary>
public sealed class BlobContent(Stream stream, long length, string? localPath) : IAsyncDisposable
{
    public Stream Stream { get; } = stream;
    public long Length { get; } = length;
    public string? LocalPath { get; } = localPath;

    public ValueTask DisposeAsync() => Stream.DisposeAsync();
}
