using Registry.Grains.Abstractions;
using Registry.Grains.Storage;

namespace Registry.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class UploadSweeperGrainTests(ClusterFixture fixture)
{
    private const string Repository = "library/sweep";

    private IBlobStore Store => new CheckedBlobStore(new FileSystemBlobStore(fixture.DataPath));

    private async Task<string> StartAsync(int bytes)
    {
        var id = CheckedBlobStore.NewUploadId();
        var session = fixture.Silo(0).GetGrain<IUploadSessionGrain>(id);
        await session.StartAsync(Repository);
        if (bytes == 0) return id;
        var lease = await session.BeginWriteAsync(Repository, 0);
        await Store.AppendUploadAsync(id, 0, new MemoryStream(new byte[bytes]), null);
        Assert.True(await session.EndWriteAsync(lease.LeaseId, bytes, release: true));
        return id;
    }

    [Fact]
    public async Task UploadsUntouchedSinceTheCutoffAreClosedAndTheirBytesDeleted()
    {
        var written = await StartAsync(1000);
        var empty = await StartAsync(0);
        var orphan = CheckedBlobStore.NewUploadId();
        await Store.AppendUploadAsync(orphan, 0, new MemoryStream(new byte[10]), null);

        var sweeper = fixture.Silo(1).GetGrain<IUploadSweeperGrain>(IUploadSweeperGrain.Key);
        var result = await sweeper.SweepAsync(DateTimeOffset.UtcNow.AddMinutes(1));

        Assert.True(result.SessionsClosed >= 2, $"closed {result.SessionsClosed}");
        Assert.True(result.BytesFreed >= 1010, $"freed {result.BytesFreed}");
        foreach (var id in new[] { written, empty, orphan })
        {
            Assert.Null(await fixture.Silo(0).GetGrain<IUploadSessionGrain>(id).GetStateAsync(Repository));
            Assert.Equal(-1, await Store.GetUploadSizeAsync(id));
        }
    }

    [Fact]
    public async Task UploadsStartedOrWrittenAfterTheCutoffAreKept()
    {
        var id = await StartAsync(100);
        var result = await fixture.Silo(0).GetGrain<IUploadSweeperGrain>(IUploadSweeperGrain.Key).SweepAsync(DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Equal(100, (await fixture.Silo(1).GetGrain<IUploadSessionGrain>(id).GetStateAsync(Repository))!.Offset);
        Assert.Equal(100, await Store.GetUploadSizeAsync(id));
        Assert.Equal(0, result.FilesDeleted);
    }

    [Fact]
    public async Task FilesThatAreNotUploadsAreNeverTouched()
    {
        var stray = Path.Combine(fixture.DataPath, "uploads", "not-an-upload.txt");
        await File.WriteAllTextAsync(stray, "keep me");
        File.SetLastWriteTimeUtc(stray, DateTime.UtcNow.AddDays(-30));
        await fixture.Silo(0).GetGrain<IUploadSweeperGrain>(IUploadSweeperGrain.Key).SweepAsync(DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(File.Exists(stray));
    }
}
