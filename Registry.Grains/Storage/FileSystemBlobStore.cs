using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Registry.Grains.Abstractions;

namespace Registry.Grains.Storage;

/// <summary>
/// Blobs on a local filesystem. Layout under the root:
/// <code>
/// blobs/
///   sha256/ab/abcdef…          committed content, one file per digest, never rewritten
/// uploads/
///   3f2c…(upload id)           bytes of an upload in progress
/// </code>
/// A commit is a rename inside one filesystem, so a crash leaves either the whole blob or none.
/// </summary>
public sealed class FileSystemBlobStore : IBlobStore
{
    private const int BufferSize = 1 << 20;
    private readonly string _blobs;
    private readonly string _uploads;

    public FileSystemBlobStore(string root)
    {
        _blobs = Path.Combine(root, "blobs");
        _uploads = Path.Combine(root, "uploads");
        Directory.CreateDirectory(_blobs);
        Directory.CreateDirectory(_uploads);
    }

    private string BlobPath(Digest digest) => Path.Combine(_blobs, digest.Algorithm, digest.Hex[..2], digest.Hex);

    private string UploadPath(string uploadId) => Path.Combine(_uploads, uploadId);

    public ValueTask<long?> GetSizeAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(BlobPath(digest));
        return ValueTask.FromResult<long?>(info.Exists ? info.Length : null);
    }

    public ValueTask<BlobContent?> OpenReadAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var path = BlobPath(digest);
        try
        {
            var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read | FileShare.Delete,
                BufferSize = 0, Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
            return ValueTask.FromResult<BlobContent?>(new BlobContent(stream, stream.Length, path));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return ValueTask.FromResult<BlobContent?>(null);
        }
    }

    public ValueTask<bool> DeleteAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var path = BlobPath(digest);
        if (!File.Exists(path)) return ValueTask.FromResult(false);
        File.Delete(path);
        return ValueTask.FromResult(true);
    }

    public ValueTask<long> GetUploadSizeAsync(string uploadId, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(UploadPath(uploadId));
        return ValueTask.FromResult(info.Exists ? info.Length : -1);
    }

    public async ValueTask<long> AppendUploadAsync(string uploadId, long offset, Stream source, IncrementalHash? hash, CancellationToken cancellationToken = default)
    {
        using var handle = File.OpenHandle(UploadPath(uploadId), FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
        if (RandomAccess.GetLength(handle) != offset) RandomAccess.SetLength(handle, offset);
        return await CopyAsync(source, handle, offset, hash, cancellationToken);
    }

    /// <summary>
    /// Reads into one buffer while the other is being written, so network reads, hashing and disk
    /// writes overlap; memory stays at two buffers whatever the blob size.
    /// </summary>
    private static async ValueTask<long> CopyAsync(Stream source, SafeFileHandle handle, long offset, IncrementalHash? hash, CancellationToken cancellationToken)
    {
        var current = ArrayPool<byte>.Shared.Rent(BufferSize);
        var other = ArrayPool<byte>.Shared.Rent(BufferSize);
        ValueTask pending = ValueTask.CompletedTask;
        long written = 0;
        try
        {
            while (true)
            {
                var read = await source.ReadAtLeastAsync(current.AsMemory(0, BufferSize), BufferSize, throwOnEndOfStream: false, cancellationToken);
                await pending;
                if (read == 0) break;
                hash?.AppendData(current, 0, read);
                pending = RandomAccess.WriteAsync(handle, current.AsMemory(0, read), offset + written, cancellationToken);
                written += read;
                (current, other) = (other, current);
                if (read < BufferSize)
                {
                    await pending;
                    break;
                }
            }
            return written;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(other);
        }
    }

    public ValueTask<Stream> OpenUploadAsync(string uploadId, CancellationToken cancellationToken = default)
    {
        var path = UploadPath(uploadId);
        Stream stream = File.Exists(path)
            ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, BufferSize, FileOptions.SequentialScan)
            : new MemoryStream([], writable: false);
        return ValueTask.FromResult(stream);
    }

    public ValueTask CommitUploadAsync(string uploadId, Digest digest, CancellationToken cancellationToken = default)
    {
        var source = UploadPath(uploadId);
        var target = BlobPath(digest);
        if (!File.Exists(source)) File.Create(source).Dispose();
        // Content is stored once; an existing copy is kept unless its size proves it damaged (the
        // new upload's digest was verified before this call), so a re-push heals it.
        var existing = new FileInfo(target);
        if (existing.Exists && existing.Length == new FileInfo(source).Length)
        {
            File.Delete(source);
            return ValueTask.CompletedTask;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(source, target, overwrite: true);
        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteUploadAsync(string uploadId, CancellationToken cancellationToken = default)
    {
        File.Delete(UploadPath(uploadId));
        return ValueTask.CompletedTask;
    }

    public async IAsyncEnumerable<StoredUpload> ListUploadsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var file in new DirectoryInfo(_uploads).EnumerateFiles())
        {
            cancellationToken.ThrowIfCancellationRequested();
            StoredUpload upload;
            try
            {
                upload = new StoredUpload(file.Name, file.Length, file.LastWriteTimeUtc);
            }
            catch (FileNotFoundException)
            {
                // Completed (moved into place) or cancelled between the directory read and its stat.
                continue;
            }
            yield return upload;
        }
        await Task.CompletedTask;
    }

    /// <summary>Local files have no URL of their own: the web server streams them.</summary>
    public ValueTask<Uri?> GetDownloadUrlAsync(Digest digest, TimeSpan lifetime, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<Uri?>(null);
}
