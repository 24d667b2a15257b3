using System.Security.Cryptography;
using Registry.Grains.Abstractions;
using Registry.Grains.Storage;

namespace Registry.Grains.Tests;

/// <summary>What every blob store driver must do; each driver's test class inherits this suite.</summary>
public abstract class BlobStoreConformanceTests : IDisposable
{
    protected abstract IBlobStore CreateDriver();

    private IBlobStore? _store;

    /// <summary>The driver behind the shared checks, as the registry uses it.</summary>
    protected IBlobStore Store => _store ??= new CheckedBlobStore(CreateDriver());

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private static byte[] Bytes(int n, int seed = 1)
    {
        var data = new byte[n];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task AppendedAndCommittedUploadIsReadableByDigestWithItsSize()
    {
        var data = Bytes(300_000);
        var digest = Digest.Compute(data);
        var id = CheckedBlobStore.NewUploadId();
        Assert.Equal(data.Length, await Store.AppendUploadAsync(id, 0, new MemoryStream(data), null));
        await Store.CommitUploadAsync(id, digest);

        Assert.Equal(data.Length, await Store.GetSizeAsync(digest));
        await using var content = await Store.OpenReadAsync(digest);
        Assert.NotNull(content);
        Assert.Equal(data.Length, content.Length);
        var copy = new MemoryStream();
        await content.Stream.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
        Assert.Equal(-1, await Store.GetUploadSizeAsync(id));
    }

    [Fact]
    public async Task ChunksAppendInOrderAndAResentChunkReplacesWhatFollowedItsOffset()
    {
        var id = CheckedBlobStore.NewUploadId();
        var first = Bytes(1000, 1);
        var second = Bytes(2000, 2);
        await Store.AppendUploadAsync(id, 0, new MemoryStream(first), null);
        await Store.AppendUploadAsync(id, first.Length, new MemoryStream(Bytes(500, 9)), null);
        await Store.AppendUploadAsync(id, first.Length, new MemoryStream(second), null);

        Assert.Equal(3000, await Store.GetUploadSizeAsync(id));
        await using var stream = await Store.OpenUploadAsync(id);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        Assert.Equal(first.Concat(second).ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task AppendFeedsTheHashWithExactlyTheBytesWritten()
    {
        var data = Bytes(3 << 20);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await Store.AppendUploadAsync(CheckedBlobStore.NewUploadId(), 0, new MemoryStream(data), hash);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    [Fact]
    public async Task CommittingContentThatIsAlreadyStoredKeepsOneCopyAndDropsTheUpload()
    {
        var data = Bytes(4096);
        var digest = Digest.Compute(data);
        foreach (var _ in new[] { 1, 2 })
        {
            var id = CheckedBlobStore.NewUploadId();
            await Store.AppendUploadAsync(id, 0, new MemoryStream(data), null);
            await Store.CommitUploadAsync(id, digest);
            Assert.Equal(-1, await Store.GetUploadSizeAsync(id));
        }
        Assert.Equal(data.Length, await Store.GetSizeAsync(digest));
    }

    [Fact]
    public async Task ADamagedStoredCopyIsReplacedByAVerifiedRepush()
    {
        var data = Bytes(5000);
        var digest = Digest.Compute(data);
        var first = CheckedBlobStore.NewUploadId();
        await Store.AppendUploadAsync(first, 0, new MemoryStream(data[..100]), null);
        await Store.CommitUploadAsync(first, digest);

        var second = CheckedBlobStore.NewUploadId();
        await Store.AppendUploadAsync(second, 0, new MemoryStream(data), null);
        await Store.CommitUploadAsync(second, digest);

        await using var content = await Store.OpenReadAsync(digest);
        var copy = new MemoryStream();
        await content!.Stream.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public async Task AnEmptyUploadCommitsAsTheEmptyBlob()
    {
        var digest = Digest.Compute([]);
        var id = CheckedBlobStore.NewUploadId();
        await Store.CommitUploadAsync(id, digest);
        Assert.Equal(0, await Store.GetSizeAsync(digest));
    }

    [Fact]
    public async Task AMissingBlobHasNoSizeAndCannotBeOpened()
    {
        var digest = Digest.Compute([1, 2, 3]);
        Assert.Null(await Store.GetSizeAsync(digest));
        Assert.Null(await Store.OpenReadAsync(digest));
        Assert.False(await Store.DeleteAsync(digest));
    }

    [Fact]
    public async Task DeletedBlobAndCancelledUploadAreGone()
    {
        var data = Bytes(10);
        var digest = Digest.Compute(data);
        var id = CheckedBlobStore.NewUploadId();
        await Store.AppendUploadAsync(id, 0, new MemoryStream(data), null);
        await Store.CommitUploadAsync(id, digest);
        Assert.True(await Store.DeleteAsync(digest));
        Assert.Null(await Store.GetSizeAsync(digest));

        var other = CheckedBlobStore.NewUploadId();
        await Store.AppendUploadAsync(other, 0, new MemoryStream(data), null);
        await Store.DeleteUploadAsync(other);
        Assert.Equal(-1, await Store.GetUploadSizeAsync(other));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("..")]
    [InlineData("0123456789abcdef0123456789ABCDEF")]
    [InlineData("0123456789abcdef0123456789abcdef/x")]
    [InlineData("")]
    public async Task UploadIdsThatAreNotOursAreRefusedBeforeAnyIo(string id)
    {
        await Assert.ThrowsAsync<ArgumentException>(async () => await Store.AppendUploadAsync(id, 0, new MemoryStream([1]), null));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Store.GetUploadSizeAsync(id));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Store.DeleteUploadAsync(id));
    }
}

public sealed class FileSystemBlobStoreTests : BlobStoreConformanceTests
{
    private readonly TempDirectory _root = new();

    protected override IBlobStore CreateDriver() => new FileSystemBlobStore(_root.Path);

    public override void Dispose()
    {
        _root.Dispose();
        base.Dispose();
    }

    [Fact]
    public async Task CommittedBlobsAreLaidOutByAlgorithmAndPrefixAndOfferTheirLocalPath()
    {
        var data = new byte[] { 42 };
        var digest = Digest.Compute(data);
        var id = CheckedBlobStore.NewUploadId();
        await Store.AppendUploadAsync(id, 0, new MemoryStream(data), null);
        await Store.CommitUploadAsync(id, digest);
        var expected = Path.Combine(_root.Path, "blobs", "sha256", digest.Hex[..2], digest.Hex);
        Assert.True(File.Exists(expected));
        await using var content = await Store.OpenReadAsync(digest);
        Assert.Equal(expected, content!.LocalPath);
        Assert.Empty(Directory.GetFiles(Path.Combine(_root.Path, "uploads")));
    }

    /// <summary>
    /// The upload sweeper (and GC) list uploads while clients complete them: an upload committed
    /// between the directory read and its stat is skipped, not a FileNotFoundException that ends the sweep.
    /// </summary>
    [Fact]
    public async Task UploadsCompletedWhileListedAreSkipped()
    {
        var ids = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            var id = CheckedBlobStore.NewUploadId();
            await Store.AppendUploadAsync(id, 0, new MemoryStream([(byte)i]), null);
            ids.Add(id);
        }
        var listed = new List<string>();
        await foreach (var upload in Store.ListUploadsAsync())
        {
            listed.Add(upload.Id);
            if (listed.Count == 1)
            {
                // The rest complete now, after the directory was read.
                foreach (var id in ids.Where(id => id != upload.Id)) await Store.DeleteUploadAsync(id);
            }
        }
        Assert.NotEmpty(listed);
    }
}
