using Registry.Grains.Abstractions;
using Registry.Grains.Storage;

namespace Registry.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class UploadSessionGrainTests(ClusterFixture fixture)
{
    private const string Repository = "library/uploads";

    [Fact]
    public async Task OnlyOneWriterHoldsTheLeaseAndOnlyAtTheCurrentOffset()
    {
        var session = fixture.Silo(0).GetGrain<IUploadSessionGrain>(CheckedBlobStore.NewUploadId());
        await session.StartAsync(Repository);

        Assert.Equal(OciErrorCode.RangeInvalid, (await session.BeginWriteAsync(Repository, 5)).Error);
        var lease = await session.BeginWriteAsync(Repository, 0);
        Assert.Null(lease.Error);
        Assert.Equal(OciErrorCode.RangeInvalid, (await session.BeginWriteAsync(Repository, null)).Error);

        Assert.False(await session.EndWriteAsync(Guid.NewGuid(), 99, release: true));
        Assert.False(await session.RenewAsync(Guid.NewGuid()));
        Assert.True(await session.RenewAsync(lease.LeaseId));
        Assert.True(await session.EndWriteAsync(lease.LeaseId, 10, release: true));
        Assert.False(await session.RenewAsync(lease.LeaseId));
        Assert.Equal(10, (await session.GetStateAsync(Repository))!.Offset);
        Assert.Equal(OciErrorCode.RangeInvalid, (await session.BeginWriteAsync(Repository, 0)).Error);
        Assert.Null((await session.BeginWriteAsync(Repository, 10)).Error);
    }

    [Fact]
    public async Task ASessionIsUnknownFromAnotherRepositoryAndAfterItIsClosed()
    {
        var session = fixture.Silo(0).GetGrain<IUploadSessionGrain>(CheckedBlobStore.NewUploadId());
        await session.StartAsync(Repository);
        Assert.Null(await session.GetStateAsync("library/other"));
        Assert.Equal(OciErrorCode.BlobUploadUnknown, (await session.BeginWriteAsync("library/other", null)).Error);
        Assert.False(await session.CloseAsync("library/other"));

        Assert.True(await session.CloseAsync(Repository));
        Assert.Null(await session.GetStateAsync(Repository));
    }

    [Fact]
    public async Task ARestartedSessionResumesAtTheSizeOfItsStoredBytes()
    {
        var (id, session, _) = await StartWithBytesAsync(new byte[1234]);

        await fixture.Cluster.DeactivateAsync(session.GetGrainId());
        var state = await fixture.Silo(1).GetGrain<IUploadSessionGrain>(id).GetStateAsync(Repository);
        Assert.Equal(1234, state!.Offset);
    }

    [Fact]
    public async Task ACompletingWriterKeepsItsLeaseSoNoChunkCanSlipInBeforeTheCommit()
    {
        var session = fixture.Silo(0).GetGrain<IUploadSessionGrain>(CheckedBlobStore.NewUploadId());
        await session.StartAsync(Repository);
        var lease = await session.BeginWriteAsync(Repository, 0);
        Assert.True(await session.EndWriteAsync(lease.LeaseId, 7, release: false));
        Assert.Equal(OciErrorCode.RangeInvalid, (await session.BeginWriteAsync(Repository, 7)).Error);
        Assert.True(await session.CloseAsync(Repository));
        Assert.False(await session.EndWriteAsync(lease.LeaseId, 7, release: true));
    }

    [Fact]
    public async Task AStoredButUnlinkedUploadIsRememberedByTheNextActivation()
    {
        var bytes = new byte[4321];
        Random.Shared.NextBytes(bytes);
        var (id, session, store) = await StartWithBytesAsync(bytes);
        var lease = await session.BeginWriteAsync(Repository, 4321);
        Assert.True(await session.EndWriteAsync(lease.LeaseId, 4321, release: false));
        var digest = Digest.Compute(bytes);
        await store.CommitUploadAsync(id, digest);

        // The link failed (503): the lease is given back with the stored digest, and the grain is
        // then collected (or its node dies) before the client retries.
        await session.AbandonCompletionAsync(lease.LeaseId, digest);
        await fixture.Cluster.DeactivateAsync(session.GetGrainId());

        var retried = await fixture.Silo(1).GetGrain<IUploadSessionGrain>(id).BeginWriteAsync(Repository, null);
        Assert.Null(retried.Error);
        Assert.Equal(digest, retried.Committed);
        Assert.Equal(4321, retried.Offset);
    }

    /// <summary>A session started through silo 0 whose upload already holds <paramref name="bytes"/>.</summary>
    private async Task<(string Id, IUploadSessionGrain Session, CheckedBlobStore Store)> StartWithBytesAsync(byte[] bytes)
    {
        var id = CheckedBlobStore.NewUploadId();
        var session = fixture.Silo(0).GetGrain<IUploadSessionGrain>(id);
        await session.StartAsync(Repository);
        var store = new CheckedBlobStore(new FileSystemBlobStore(fixture.DataPath));
        await store.AppendUploadAsync(id, 0, new MemoryStream(bytes), null);
        return (id, session, store);
    }
}
