using System.Diagnostics;
using System.Security.Cryptography;
using Registry.Grains.Abstractions;

namespace Registry.Grains.Storage;

/// <summary>
/// Wraps every driver: refuses upload ids that are not ours (so no id can name a path outside the
/// upload area) and traces each operation. Drivers stay pure I/O.
/// </summary>
public sealed class CheckedBlobStore(IBlobStore inner) : IBlobStore
{
    public static readonly ActivitySource Source = new("Registry");

    public ValueTask<long?> GetSizeAsync(Digest digest, CancellationToken cancellationToken = default) =>
        inner.GetSizeAsync(CheckDigest(digest), cancellationToken);

    public ValueTask<BlobContent?> OpenReadAsync(Digest digest, CancellationToken cancellationToken = default) =>
        inner.OpenReadAsync(CheckDigest(digest), cancellationToken);

    public async ValueTask<bool> DeleteAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        using var activity = Source.StartActivity("blobstore.delete");
        return await inner.DeleteAsync(CheckDigest(digest), cancellationToken);
    }

    public ValueTask<long> GetUploadSizeAsync(string uploadId, CancellationToken cancellationToken = default) =>
        inner.GetUploadSizeAsync(CheckUploadId(uploadId), cancellationToken);

    public async ValueTask<long> AppendUploadAsync(string uploadId, long offset, Stream source, IncrementalHash? hash, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        using var activity = Source.StartActivity("blobstore.append");
        var written = await inner.AppendUploadAsync(CheckUploadId(uploadId), offset, source, hash, cancellationToken);
        activity?.SetTag("registry.bytes", written);
        return written;
    }

    public ValueTask<Stream> OpenUploadAsync(string uploadId, CancellationToken cancellationToken = default) =>
        inner.OpenUploadAsync(CheckUploadId(uploadId), cancellationToken);

    public async ValueTask CommitUploadAsync(string uploadId, Digest digest, CancellationToken cancellationToken = default)
    {
        using var activity = Source.StartActivity("blobstore.commit");
        await inner.CommitUploadAsync(CheckUploadId(uploadId), CheckDigest(digest), cancellationToken);
    }

    public ValueTask DeleteUploadAsync(string uploadId, CancellationToken cancellationToken = default) =>
        inner.DeleteUploadAsync(CheckUploadId(uploadId), cancellationToken);

    /// <summary>Only entries named like our upload ids are reported; anything else in the upload area is not ours to touch.</summary>
    public async IAsyncEnumerable<StoredUpload> ListUploadsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var upload in inner.ListUploadsAsync(cancellationToken))
        {
            if (IsValidUploadId(upload.Id)) yield return upload;
        }
    }

    public ValueTask<Uri?> GetDownloadUrlAsync(Digest digest, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        return inner.GetDownloadUrlAsync(CheckDigest(digest), lifetime, cancellationToken);
    }

    /// <summary>Upload ids are 32 lowercase hex characters (a GUID in "N" format), nothing else.</summary>
    public static bool IsValidUploadId(string? uploadId) =>
        uploadId is { Length: 32 } && uploadId.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    public static string NewUploadId() => Guid.NewGuid().ToString("N");

    private static string CheckUploadId(string uploadId) =>
        IsValidUploadId(uploadId) ? uploadId : throw new ArgumentException("invalid upload id", nameof(uploadId));

    private static Digest CheckDigest(Digest digest) =>
        digest.Algorithm is null ? throw new ArgumentException("empty digest", nameof(digest)) : digest;
}
