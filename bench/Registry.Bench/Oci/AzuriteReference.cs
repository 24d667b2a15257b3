using System.Buffers;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Registry.Bench.Oci;

/// <summary>
/// "Azurite alone": the same bytes the workloads push, sent straight to the cluster's Azurite with
/// the Azure SDK (no registry in between), in a container of their own. What our distributed
/// pushes and pulls cannot exceed on this machine, since every blob byte goes through Azurite.
/// </summary>
public sealed class AzuriteReference(string connectionString, string version)
{
    /// <summary>As our Azure driver stages: 8 MiB blocks, two in flight, then Put Block List.</summary>
    public const int BlockSize = 8 << 20;
    public const int Concurrency = 2;
    const int BufferSize = 256 * 1024;

    readonly BlobContainerClient container = new(connectionString, "bench-reference");
    bool ready;

    public string Description =>
        $"Azurite {version} alone: the same blobs uploaded straight to it with Azure.Storage.Blobs' `BlobClient.UploadAsync` " +
        $"(one Put Blob up to {BlockSize >> 20} MiB; above, {BlockSize >> 20} MiB Put Blocks, {Concurrency} in flight, then Put Block List, as our driver stages; " +
        "the chunked mix rows: one Put Block per chunk, one at a time, then Put Block List) " +
        "and read back with one streaming Get Blob; no registry in between";

    async Task ReadyAsync(CancellationToken ct)
    {
        if (!ready)
        {
            await container.CreateIfNotExistsAsync(cancellationToken: ct);
            ready = true;
        }
    }

    public async Task UploadAsync(string name, BlobSource blob, CancellationToken ct)
    {
        await ReadyAsync(ct);
        await using var content = blob.OpenRead();
        try
        {
            await container.GetBlobClient(name).UploadAsync(content, new BlobUploadOptions
            {
                TransferOptions = new StorageTransferOptions
                {
                    InitialTransferSize = BlockSize,
                    MaximumTransferSize = BlockSize,
                    MaximumConcurrency = Concurrency,
                },
            }, ct);
        }
        catch (RequestFailedException e)
        {
            throw new RegistryRequestException($"Azurite upload of {name} ({blob.Length} bytes): {e.Status} {e.ErrorCode}: {e.Message}");
        }
    }

    /// <summary>The chunked push's equivalent: each chunk staged as one block, in order, then the block list committed.</summary>
    public async Task UploadInChunksAsync(string name, BlobSource blob, int chunkSize, CancellationToken ct)
    {
        await ReadyAsync(ct);
        var client = container.GetBlockBlobClient(name);
        var blocks = new List<string>();
        try
        {
            for (long offset = 0; offset < blob.Length; offset += chunkSize)
            {
                var id = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"chunk-{offset:D20}"));
                await using var chunk = blob.OpenRead(offset, Math.Min(chunkSize, blob.Length - offset));
                await client.StageBlockAsync(id, chunk, cancellationToken: ct);
                blocks.Add(id);
            }
            await client.CommitBlockListAsync(blocks, cancellationToken: ct);
        }
        catch (RequestFailedException e)
        {
            throw new RegistryRequestException($"Azurite chunked upload of {name} ({blob.Length} bytes): {e.Status} {e.ErrorCode}: {e.Message}");
        }
    }

    /// <summary>Streams the blob and discards it; returns the byte count after checking it.</summary>
    public async Task<long> DownloadAsync(string name, long expectedLength, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long total = 0;
        try
        {
            using var result = (await container.GetBlobClient(name).DownloadStreamingAsync(cancellationToken: ct)).Value;
            for (int n; (n = await result.Content.ReadAsync(buffer, ct)) > 0;)
            {
                total += n;
            }
        }
        catch (RequestFailedException e)
        {
            throw new RegistryRequestException($"Azurite download of {name}: {e.Status} {e.ErrorCode}: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (total != expectedLength)
        {
            throw new RegistryRequestException($"Azurite download of {name}: {total} bytes, expected {expectedLength}");
        }
        return total;
    }

    /// <summary>A blob name per content, like our driver's layout.</summary>
    public static string NameOf(BlobSource blob) => $"blobs/{blob.Digest.Replace(':', '/')}";
}
