using System.Net;
using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Registry.AppHost.Local;
using Registry.Grains.Abstractions;
using Registry.Grains.Storage;

namespace Registry.Grains.Tests;

/// <summary>One Azurite blob service for the test run, its data in a temporary directory.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    public AzuriteFixture() => Azurite = new LocalAzurite(_dir.Path);

    public LocalAzurite Azurite { get; }

    public Task InitializeAsync() => Azurite.StartAsync();

    public async Task DisposeAsync()
    {
        await Azurite.DisposeAsync();
        _dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite";
}

/// <summary>The shared suite against Azurite, one container per test, plus what only the Azure driver does.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzuriteBlobStoreTests(AzuriteFixture fixture) : BlobStoreConformanceTests
{
    private const int MiB = 1 << 20;
    private readonly string _containerName = "test-" + Guid.NewGuid().ToString("N");

    private AzureBlobStore Driver => field ??= new AzureBlobStore(fixture.Azurite.ConnectionString, _containerName);

    private BlobContainerClient Container => new(fixture.Azurite.ConnectionString, _containerName);

    protected override IBlobStore CreateDriver() => Driver;

    public override void Dispose()
    {
        Container.DeleteIfExists();
        base.Dispose();
    }

    private static byte[] Bytes(int n, int seed = 1)
    {
        var data = new byte[n];
        new Random(seed).NextBytes(data);
        return data;
    }

    private async Task<byte[]> UploadBytesAsync(string id)
    {
        await using var stream = await Store.OpenUploadAsync(id);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private async Task<List<string>> BlobNamesAsync(string prefix)
    {
        var names = new List<string>();
        await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix })) names.Add(item.Name);
        return names;
    }

    [Fact]
    public async Task ARetriedChunkAtTheSameOffsetIsHarmless()
    {
        var id = CheckedBlobStore.NewUploadId();
        var first = Bytes(1000, 1);
        var second = Bytes(9 * MiB + 7, 2);
        await Store.AppendUploadAsync(id, 0, new MemoryStream(first), null);
        await Store.AppendUploadAsync(id, first.Length, new MemoryStream(second), null);
        await Store.AppendUploadAsync(id, first.Length, new MemoryStream(second), null);

        Assert.Equal(first.Length + second.Length, await Store.GetUploadSizeAsync(id));
        Assert.Equal(first.Concat(second).ToArray(), await UploadBytesAsync(id));
    }

    [Fact]
    public async Task AChunkThatFailsHalfwayStoresNothingAndARetryStoresItWhole()
    {
        var id = CheckedBlobStore.NewUploadId();
        var first = Bytes(3 * MiB, 1);
        var second = Bytes(20 * MiB, 2);
        await Store.AppendUploadAsync(id, 0, new MemoryStream(first), null);
        await Assert.ThrowsAsync<IOException>(async () => await Store.AppendUploadAsync(id, first.Length, new FailingStream(second, 17 * MiB), null));
        Assert.Equal(first.Length, await Store.GetUploadSizeAsync(id));

        await Store.AppendUploadAsync(id, first.Length, new MemoryStream(second), null);
        Assert.Equal(first.Concat(second).ToArray(), await UploadBytesAsync(id));
    }

    [Fact]
    public async Task AFirstChunkThatFailsHalfwayLeavesNoUploadAndARetryStoresIt()
    {
        var id = CheckedBlobStore.NewUploadId();
        var data = Bytes(10 * MiB, 1);
        await Assert.ThrowsAsync<IOException>(async () => await Store.AppendUploadAsync(id, 0, new FailingStream(data, 9 * MiB), null));
        Assert.Equal(-1, await Store.GetUploadSizeAsync(id));
        Assert.Empty(await UploadBytesAsync(id));

        await Store.AppendUploadAsync(id, 0, new MemoryStream(data), null);
        Assert.Equal(data, await UploadBytesAsync(id));
    }

    [Fact]
    public async Task ALeftoverOfAFailedRewriteNeverReplacesCommittedBytes()
    {
        // Put Block List prefers a staged block to a committed one of the same id: blocks staged by
        // a failed rewrite at offset 0 must not carry the ids of the blocks already committed there.
        var id = CheckedBlobStore.NewUploadId();
        var original = Bytes(9 * MiB, 1);
        await Store.AppendUploadAsync(id, 0, new MemoryStream(original), null);
        await Assert.ThrowsAsync<IOException>(async () => await Store.AppendUploadAsync(id, 0, new FailingStream(Bytes(9 * MiB, 2), 8 * MiB + 5), null));
        var next = Bytes(1000, 3);
        await Store.AppendUploadAsync(id, original.Length, new MemoryStream(next), null);

        Assert.Equal(original.Concat(next).ToArray(), await UploadBytesAsync(id));
    }

    [Fact]
    public async Task TruncatingToAnEarlierChunkThenAppendingKeepsExactlyTheRightBytes()
    {
        var id = CheckedBlobStore.NewUploadId();
        var chunks = new[] { Bytes(9 * MiB, 1), Bytes(MiB, 2), Bytes(2 * MiB + 1, 3) };
        long offset = 0;
        foreach (var chunk in chunks)
        {
            await Store.AppendUploadAsync(id, offset, new MemoryStream(chunk), null);
            offset += chunk.Length;
        }
        var replacement = Bytes(5000, 4);
        Assert.Equal(replacement.Length, await Store.AppendUploadAsync(id, chunks[0].Length, new MemoryStream(replacement), null));

        Assert.Equal(chunks[0].Length + replacement.Length, await Store.GetUploadSizeAsync(id));
        Assert.Equal(chunks[0].Concat(replacement).ToArray(), await UploadBytesAsync(id));

        // Back to nothing: an empty append at 0 leaves an empty upload, not a missing one.
        Assert.Equal(0, await Store.AppendUploadAsync(id, 0, new MemoryStream(), null));
        Assert.Equal(0, await Store.GetUploadSizeAsync(id));
    }

    [Fact]
    public async Task AnOffsetThatIsNotTheEndOfAStoredChunkIsRefused()
    {
        var id = CheckedBlobStore.NewUploadId();
        await Store.AppendUploadAsync(id, 0, new MemoryStream(Bytes(1000)), null);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Store.AppendUploadAsync(id, 500, new MemoryStream([1]), null));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Store.AppendUploadAsync(id, 2000, new MemoryStream([1]), null));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Store.AppendUploadAsync(CheckedBlobStore.NewUploadId(), 10, new MemoryStream([1]), null));
        Assert.Equal(1000, await Store.GetUploadSizeAsync(id));
    }

    [Fact]
    public async Task CommittingADigestAlreadyStoredKeepsTheStoredCopyAndDropsTheUpload()
    {
        var data = Bytes(100_000);
        var digest = Digest.Compute(data);
        var first = CheckedBlobStore.NewUploadId();
        await Store.AppendUploadAsync(first, 0, new MemoryStream(data), null);
        await Store.CommitUploadAsync(first, digest);
        var blob = Container.GetBlobClient($"blobs/sha256/{digest.Hex[..2]}/{digest.Hex}");
        var stored = (await blob.GetPropertiesAsync()).Value.ETag;

        var second = CheckedBlobStore.NewUploadId();
        await Store.AppendUploadAsync(second, 0, new MemoryStream(data), null);
        await Store.CommitUploadAsync(second, digest);

        Assert.Equal(stored, (await blob.GetPropertiesAsync()).Value.ETag);
        Assert.Equal([blob.Name], await BlobNamesAsync("blobs/"));
        Assert.Empty(await BlobNamesAsync("uploads/"));
    }

    [Fact]
    public async Task ABigUploadInSeveralChunksRoundTripsAndHashesCorrectly()
    {
        var data = Bytes(20 * MiB + 12345);
        var digest = Digest.Compute(data);
        var id = CheckedBlobStore.NewUploadId();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var offset = 0;
        foreach (var size in new[] { 7 * MiB, 8 * MiB, 5 * MiB + 12345 })
        {
            Assert.Equal(size, await Store.AppendUploadAsync(id, offset, new MemoryStream(data, offset, size), hash));
            offset += size;
        }
        Assert.Equal(digest, Digest.FromHash(Digest.Sha256, hash.GetHashAndReset()));
        await Store.CommitUploadAsync(id, digest);

        Assert.Equal(data.Length, await Store.GetSizeAsync(digest));
        await using var content = await Store.OpenReadAsync(digest);
        Assert.Null(content!.LocalPath);
        Assert.Equal(data.Length, content.Length);
        using var readBack = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[MiB];
        int read;
        while ((read = await content.Stream.ReadAsync(buffer)) > 0) readBack.AppendData(buffer, 0, read);
        Assert.Equal(digest, Digest.FromHash(Digest.Sha256, readBack.GetHashAndReset()));
    }

    [Fact]
    public async Task AStoredBlobCanBeReadFromAnyPositionAfterASeek()
    {
        var data = Bytes(10 * MiB);
        var digest = await CommitAsync(data);
        await using var content = await Store.OpenReadAsync(digest);
        var stream = content!.Stream;
        Assert.True(stream.CanSeek);

        stream.Seek(9 * MiB + 3, SeekOrigin.Begin);
        Assert.Equal(data.AsSpan(9 * MiB + 3, 100).ToArray(), await ReadExactlyAsync(stream, 100));
        stream.Position = 17;
        Assert.Equal(data.AsSpan(17, 5000).ToArray(), await ReadExactlyAsync(stream, 5000));
        Assert.Equal(17 + 5000, stream.Position);
        stream.Seek(-10, SeekOrigin.End);
        Assert.Equal(data.AsSpan(data.Length - 10).ToArray(), await ReadExactlyAsync(stream, 10));
        Assert.Equal(0, await stream.ReadAsync(new byte[10]));
    }

    [Fact]
    public async Task UploadsAreListedWithTheirSizeAndLastWrite()
    {
        var id = CheckedBlobStore.NewUploadId();
        await Store.AppendUploadAsync(id, 0, new MemoryStream(Bytes(1234)), null);
        var listed = new List<StoredUpload>();
        await foreach (var upload in Store.ListUploadsAsync()) listed.Add(upload);

        var only = Assert.Single(listed);
        Assert.Equal((id, 1234L), (only.Id, only.Size));
        Assert.InRange(only.LastWrite, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task ASignedUrlServesTheExactBytesToAPlainClient()
    {
        var data = Bytes(3 * MiB + 1);
        var digest = await CommitAsync(data);
        var url = await Store.GetDownloadUrlAsync(digest, TimeSpan.FromMinutes(5));
        Assert.NotNull(url);
        Assert.DoesNotContain(LocalAzurite.AccountKey, url.AbsoluteUri);

        using var http = new HttpClient();
        var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(data, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AnExpiredOrTamperedSignedUrlIsRefused()
    {
        var digest = await CommitAsync(Bytes(1000));
        using var http = new HttpClient();

        var expiring = await Store.GetDownloadUrlAsync(digest, TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(expiring)).StatusCode);

        var valid = (await Store.GetDownloadUrlAsync(digest, TimeSpan.FromMinutes(5)))!.AbsoluteUri;
        var signature = valid.IndexOf("sig=", StringComparison.Ordinal) + 4;
        var tampered = valid[..signature] + (valid[signature] == 'A' ? 'B' : 'A') + valid[(signature + 1)..];
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(tampered)).StatusCode);

        // Reading more than the signature grants (another blob) is refused too.
        var other = await CommitAsync(Bytes(10, 9));
        var otherName = $"{other.Hex[..2]}/{other.Hex}";
        var elsewhere = valid.Replace($"{digest.Hex[..2]}/{digest.Hex}", otherName, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(elsewhere)).StatusCode);
    }

    [Fact]
    public async Task AStoreWithoutTheAccountKeyCannotSign()
    {
        var anonymous = new AzureBlobStore(new BlobContainerClient(new Uri($"{fixture.Azurite.BlobEndpoint}/{_containerName}")));
        Assert.Null(await new CheckedBlobStore(anonymous).GetDownloadUrlAsync(Digest.Compute([1]), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task EnsureReadyCreatesTheContainerAndDescribeNamesItWithoutTheKey()
    {
        Assert.False((await Container.ExistsAsync()).Value);
        await Driver.EnsureReadyAsync();
        Assert.True((await Container.ExistsAsync()).Value);
        await Driver.EnsureReadyAsync();
        Assert.Equal($"{fixture.Azurite.BlobEndpoint}/{_containerName}", Driver.Describe());
    }

    private async Task<Digest> CommitAsync(byte[] data)
    {
        var digest = Digest.Compute(data);
        var id = CheckedBlobStore.NewUploadId();
        await Store.AppendUploadAsync(id, 0, new MemoryStream(data), null);
        await Store.CommitUploadAsync(id, digest);
        return digest;
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }

    /// <summary>A request body whose connection drops after <c>failAt</c> bytes.</summary>
    private sealed class FailingStream(byte[] data, int failAt) : MemoryStream(data, writable: false)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= failAt) throw new IOException("connection reset");
            return await base.ReadAsync(buffer[..(int)Math.Min(buffer.Length, failAt - Position)], cancellationToken);
        }
    }
}
