using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using Registry.Grains.Abstractions;

namespace Registry.Grains.Storage;

/// <summary>
/// Blobs in one Azure Blob Storage container, laid out like the filesystem driver:
/// <code>
/// blobs/
///   sha256/ab/abcdef…          committed content, one block blob per digest
/// uploads/
///   3f2c…(upload id)           an upload in progress: its committed blocks are the bytes so far
/// </code>
/// <para>
/// An append stages the chunk as blocks of up to <see cref="BlockSize"/> bytes, then commits the
/// block list (the stored blocks that make up the first <c>offset</c> bytes) + (the new blocks).
/// A chunk is therefore stored whole or not at all, and a resent chunk replaces what followed its
/// offset. Block ids are fixed-width and derived from the block's absolute offset and the ETag the
/// upload had before the append: deterministic, so a retried write of the same chunk stages over
/// its own leftovers, yet never the id of a block already committed (Put Block List takes the
/// latest staged block of an id before the committed one, so a leftover with a committed block's
/// id would replace its bytes). Leftovers of a failed append are discarded by the next commit, or
/// by the service after a week.
/// </para>
/// <para>
/// Azure allows <see cref="MaxBlocks"/> committed blocks per blob and every chunk is at least one
/// block, so an upload session of more than 50,000 chunks (PATCH requests) fails, with an error
/// that says so.
/// </para>
/// <para>
/// A commit is a server-side copy of the upload to the digest's name, then the upload is deleted.
/// A copy that has not completed (or failed) is treated as absent.
/// </para>
/// </summary>
public sealed class AzureBlobStore : IBlobStore
{
    /// <summary>The largest block staged; an append holds at most <see cref="StagesInFlight"/> of them in memory.</summary>
    public const int BlockSize = 8 << 20;

    /// <summary>Azure's limit of committed blocks per block blob.</summary>
    public const int MaxBlocks = 50_000;

    private const int StagesInFlight = 2;
    private const string UploadsPrefix = "uploads/";
    private readonly BlobContainerClient _container;
    private volatile bool _ready;

    public AzureBlobStore(string connectionString, string container = "registry")
        : this(new BlobContainerClient(connectionString, container))
    {
    }

    public AzureBlobStore(BlobContainerClient container) => _container = container;

    /// <summary>The container's URL, without any credential: what error messages and logs may show.</summary>
    public string Describe() => new UriBuilder(_container.Uri) { Query = "" }.Uri.ToString();

    /// <summary>Creates the container if absent; fails when the account is unreachable or refuses our key.</summary>
    public async Task EnsureReadyAsync(CancellationToken cancellationToken = default)
    {
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        _ready = true;
    }

    private ValueTask ReadyAsync(CancellationToken cancellationToken) =>
        _ready ? ValueTask.CompletedTask : new ValueTask(EnsureReadyAsync(cancellationToken));

    private static string BlobName(Digest digest) => $"blobs/{digest.Algorithm}/{digest.Hex[..2]}/{digest.Hex}";

    private static string UploadName(string uploadId) => UploadsPrefix + uploadId;

    public async ValueTask<long?> GetSizeAsync(Digest digest, CancellationToken cancellationToken = default) =>
        (await PropertiesAsync(_container.GetBlobClient(BlobName(digest)), cancellationToken))?.ContentLength;

    public async ValueTask<BlobContent?> OpenReadAsync(Digest digest, CancellationToken cancellationToken = default) =>
        await AzureReadStream.OpenAsync(_container.GetBlobClient(BlobName(digest)), cancellationToken) is { } stream
            ? new BlobContent(stream, stream.Length, null)
            : null;

    public async ValueTask<bool> DeleteAsync(Digest digest, CancellationToken cancellationToken = default) =>
        await DeleteIfExistsAsync(_container.GetBlobClient(BlobName(digest)), cancellationToken);

    public async ValueTask<long> GetUploadSizeAsync(string uploadId, CancellationToken cancellationToken = default) =>
        (await PropertiesAsync(_container.GetBlobClient(UploadName(uploadId)), cancellationToken))?.ContentLength ?? -1;

    public async ValueTask<long> AppendUploadAsync(string uploadId, long offset, Stream source, IncrementalHash? hash, CancellationToken cancellationToken = default)
    {
        await ReadyAsync(cancellationToken);
        var blob = _container.GetBlockBlobClient(UploadName(uploadId));
        var (blocks, etag, conditions) = await PrefixAsync(blob, uploadId, offset, cancellationToken);
        var salt = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(etag.ToString())))[..8];
        var written = await StageAsync(blob, uploadId, offset, salt, blocks, source, hash, cancellationToken);
        await blob.CommitBlockListAsync(blocks, new CommitBlockListOptions { Conditions = conditions }, cancellationToken);
        return written;
    }

    /// <summary>
    /// The committed blocks that make up exactly the first <paramref name="offset"/> bytes, the
    /// upload's ETag (default when it has never been committed), and the conditions for the commit
    /// that make a writer who lost its session lease fail rather than commit over its successor.
    /// </summary>
    private static async Task<(List<string> Blocks, ETag ETag, BlobRequestConditions? Conditions)> PrefixAsync(BlockBlobClient blob, string uploadId,
        long offset, CancellationToken cancellationToken)
    {
        BlockList list;
        try
        {
            list = (await blob.GetBlockListAsync(BlockListTypes.Committed, cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            if (offset != 0) throw new InvalidOperationException($"upload {uploadId} has no stored bytes to append to at offset {offset}");
            return ([], default, new BlobRequestConditions { IfNoneMatch = ETag.All });
        }
        var blocks = new List<string>();
        long size = 0;
        foreach (var block in list.CommittedBlocks)
        {
            if (size >= offset) break;
            size += block.SizeLong;
            blocks.Add(block.Name);
        }
        // Chunks always start where a previous one ended, which is a block boundary.
        if (size != offset) throw new InvalidOperationException($"upload {uploadId}: offset {offset} is not the end of a stored chunk ({list.BlobContentLength} bytes stored)");
        // A blob with staged blocks only has an ETag that no commit can match: no condition then.
        var committed = list.CommittedBlocks.Any() && list.ETag != default;
        return (blocks, list.ETag, committed ? new BlobRequestConditions { IfMatch = list.ETag } : null);
    }

    /// <summary>
    /// Reads <paramref name="source"/> block by block, feeding <paramref name="hash"/>, and stages
    /// each block while the next one is read; a block is read only once fewer than
    /// <see cref="StagesInFlight"/> stagings are running.
    /// </summary>
    private static async Task<long> StageAsync(BlockBlobClient blob, string uploadId, long offset, string salt, List<string> blocks, Stream source,
        IncrementalHash? hash, CancellationToken cancellationToken)
    {
        var pending = new Queue<(Task Stage, byte[] Buffer)>();
        long written = 0;
        try
        {
            while (true)
            {
                if (pending.Count >= StagesInFlight) await CompleteOldestAsync(pending);
                var buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
                int read;
                try
                {
                    read = await source.ReadAtLeastAsync(buffer.AsMemory(0, BlockSize), BlockSize, throwOnEndOfStream: false, cancellationToken);
                    if (read > 0 && blocks.Count >= MaxBlocks)
                    {
                        throw new InvalidOperationException(
                            $"upload {uploadId} would exceed the {MaxBlocks} blocks Azure allows in a blob: each chunk is at least one block, send fewer, larger chunks");
                    }
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }
                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }
                hash?.AppendData(buffer, 0, read);
                var id = BlockId(offset + written, salt);
                blocks.Add(id);
                pending.Enqueue((blob.StageBlockAsync(id, new MemoryStream(buffer, 0, read, writable: false), cancellationToken: cancellationToken), buffer));
                written += read;
                if (read < BlockSize) break;
            }
            while (pending.Count > 0) await CompleteOldestAsync(pending);
            return written;
        }
        finally
        {
            // After a failure, stagings still running must end before their buffers are reused.
            while (pending.TryDequeue(out var stage))
            {
                await stage.Stage.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                ArrayPool<byte>.Shared.Return(stage.Buffer);
            }
        }
    }

    private static async Task CompleteOldestAsync(Queue<(Task Stage, byte[] Buffer)> pending)
    {
        var (stage, buffer) = pending.Dequeue();
        try
        {
            await stage;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Fixed width (all ids of a blob must have the same length): "blk-", the offset in 20 digits, "-", 8 hex of salt.</summary>
    private static string BlockId(long offset, string salt) => Convert.ToBase64String(Encoding.ASCII.GetBytes($"blk-{offset:D20}-{salt}"));

    public async ValueTask<Stream> OpenUploadAsync(string uploadId, CancellationToken cancellationToken = default) =>
        await AzureReadStream.OpenAsync(_container.GetBlobClient(UploadName(uploadId)), cancellationToken) ?? (Stream)new MemoryStream([], writable: false);

    public async ValueTask CommitUploadAsync(string uploadId, Digest digest, CancellationToken cancellationToken = default)
    {
        await ReadyAsync(cancellationToken);
        var upload = _container.GetBlobClient(UploadName(uploadId));
        var target = _container.GetBlobClient(BlobName(digest));
        // An upload without bytes is the empty blob.
        var size = (await PropertiesAsync(upload, cancellationToken))?.ContentLength ?? 0;
        // Content is stored once; an existing copy is kept unless its size proves it damaged (the
        // new upload's digest was verified before this call), so a re-push heals it.
        if ((await PropertiesAsync(target, cancellationToken))?.ContentLength != size)
        {
            if (size == 0)
            {
                await target.UploadAsync(new MemoryStream([], writable: false), overwrite: true, cancellationToken);
            }
            else
            {
                await CopyAsync(upload, target, size, cancellationToken);
            }
        }
        await DeleteIfExistsAsync(upload, cancellationToken);
    }

    /// <summary>A server-side copy inside the account; usually complete at once, otherwise polled until it is.</summary>
    private static async Task CopyAsync(BlobClient source, BlobClient target, long size, CancellationToken cancellationToken)
    {
        var copy = await target.StartCopyFromUriAsync(source.Uri, cancellationToken: cancellationToken);
        if (!copy.HasCompleted) await copy.WaitForCompletionAsync(TimeSpan.FromMilliseconds(250), cancellationToken);
        var copied = (await target.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        if (copied.CopyStatus != CopyStatus.Success || copied.ContentLength != size)
        {
            throw new IOException($"copying {source.Name} to {target.Name} ended {copied.CopyStatus} with {copied.ContentLength} of {size} bytes: {copied.CopyStatusDescription}");
        }
    }

    public async ValueTask DeleteUploadAsync(string uploadId, CancellationToken cancellationToken = default) =>
        await DeleteIfExistsAsync(_container.GetBlobClient(UploadName(uploadId)), cancellationToken);

    public async IAsyncEnumerable<StoredUpload> ListUploadsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await ReadyAsync(cancellationToken);
        await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = UploadsPrefix }, cancellationToken))
        {
            yield return new StoredUpload(item.Name[UploadsPrefix.Length..], item.Properties.ContentLength ?? 0,
                item.Properties.LastModified ?? DateTimeOffset.UnixEpoch);
        }
    }

    /// <summary>A read-only SAS URL; only a client holding the account key (not a SAS or a token) can sign one.</summary>
    public ValueTask<Uri?> GetDownloadUrlAsync(Digest digest, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(BlobName(digest));
        return ValueTask.FromResult(blob.CanGenerateSasUri ? blob.GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow + lifetime) : null);
    }

    /// <summary>The blob's properties, or null when it is absent or is the target of a copy that has not succeeded.</summary>
    private static async Task<BlobProperties?> PropertiesAsync(BlobBaseClient blob, CancellationToken cancellationToken)
    {
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            return AzureReadStream.IsIncompleteCopy(properties.CopyId, properties.CopyStatus) ? null : properties;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private static async Task<bool> DeleteIfExistsAsync(BlobBaseClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return (await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }
}

/// <summary>
/// A seekable read stream over a blob: one streaming download from the current position, opened
/// again from the new position after a seek, pinned to the blob's ETag so a replaced blob cannot
/// be read as a mix of two versions.
/// </summary>
internal sealed class AzureReadStream : Stream
{
    private readonly BlobBaseClient _blob;
    private readonly ETag _etag;
    private Stream? _body;
    private long _position;

    private AzureReadStream(BlobBaseClient blob, long length, ETag etag, Stream body)
    {
        _blob = blob;
        Length = length;
        _etag = etag;
        _body = body;
    }

    /// <summary>Starts downloading the whole blob; null when it is absent.</summary>
    public static async Task<AzureReadStream?> OpenAsync(BlobBaseClient blob, CancellationToken cancellationToken)
    {
        BlobDownloadStreamingResult result;
        try
        {
            result = (await blob.DownloadStreamingAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        var details = result.Details;
        if (IsIncompleteCopy(details.CopyId, details.CopyStatus))
        {
            result.Dispose();
            return null;
        }
        return new AzureReadStream(blob, details.ContentLength, details.ETag, result.Content);
    }

    public static bool IsIncompleteCopy(string? copyId, CopyStatus status) => !string.IsNullOrEmpty(copyId) && status != CopyStatus.Success;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        if (target != _position)
        {
            _body?.Dispose();
            _body = null;
            _position = target;
        }
        return _position;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty || _position >= Length) return 0;
        _body ??= (await _blob.DownloadStreamingAsync(From(_position), cancellationToken)).Value.Content;
        var read = await _body.ReadAsync(buffer, cancellationToken);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty || _position >= Length) return 0;
        _body ??= _blob.DownloadStreaming(From(_position)).Value.Content;
        var read = _body.Read(buffer);
        _position += read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    private BlobDownloadOptions From(long position) =>
        new() { Range = new HttpRange(position), Conditions = new BlobRequestConditions { IfMatch = _etag } };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _body?.Dispose();
        _body = null;
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_body is { } body) await body.DisposeAsync();
        _body = null;
        await base.DisposeAsync();
    }
}
