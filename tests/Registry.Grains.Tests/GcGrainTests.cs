using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Abstractions;
using Registry.Grains.Manifests;
using Registry.Grains.Metadata;
using Registry.Grains.Storage;

namespace Registry.Grains.Tests;

/// <summary>A cluster of its own: a collection deletes whatever is garbage in the whole registry.</summary>
[CollectionDefinition(Name)]
public sealed class GcClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "gc-cluster";
}

[Collection(GcClusterCollection.Name)]
public sealed class GcGrainTests(ClusterFixture fixture)
{
    private static readonly GcParameters Now = new(DryRun: false, DeleteUntagged: false, Workers: 3, TimeWindowHours: 0);

    private IBlobStore Blobs => new CheckedBlobStore(new FileSystemBlobStore(fixture.DataPath));

    private IGcStore Store => fixture.Cluster.GetSiloServiceProvider(fixture.Cluster.Silos[0].SiloAddress).GetRequiredService<IGcStore>();

    private IGcGrain Gc => fixture.Silo(1).GetGrain<IGcGrain>(IGcGrain.Key);

    private static string NewRepository() => "library/gc" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Stores the bytes and links them, as a completed upload does.</summary>
    private async Task<Digest> PushBlobAsync(string repository, string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var digest = Digest.Compute(bytes);
        var id = CheckedBlobStore.NewUploadId();
        await Blobs.AppendUploadAsync(id, 0, new MemoryStream(bytes), null);
        await Blobs.CommitUploadAsync(id, digest);
        Assert.True(await fixture.Silo(0).GetGrain<IRepositoryGrain>(repository).LinkBlobAsync(digest, bytes.Length));
        return digest;
    }

    private static PutManifestCommand Image(string reference, Digest config, Digest[] layers, Digest? subject = null)
    {
        var layerJson = string.Join(",", layers.Select(l => $"{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"{l}\",\"size\":1}}"));
        var subjectJson = subject is { } s ? $",\"subject\":{{\"mediaType\":\"{MediaTypes.OciManifest}\",\"digest\":\"{s}\",\"size\":1}}" : "";
        var json = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciManifest}\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{config}\",\"size\":1}},\"layers\":[{layerJson}]{subjectJson}}}";
        var bytes = Encoding.UTF8.GetBytes(json);
        return new PutManifestCommand(reference, MediaTypes.OciManifest, bytes, Digest.Compute(bytes));
    }

    private static PutManifestCommand Index(string reference, params PutManifestCommand[] children)
    {
        var manifests = string.Join(",", children.Select(c => $"{{\"mediaType\":\"{MediaTypes.OciManifest}\",\"digest\":\"{c.Digest}\",\"size\":{c.Content.Length}}}"));
        var bytes = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[{manifests}]}}");
        return new PutManifestCommand(reference, MediaTypes.OciIndex, bytes, Digest.Compute(bytes));
    }

    private async Task<GcRunRecord> RunAsync(GcParameters parameters)
    {
        // The window is measured in milliseconds: let the links made just before be older than the run.
        await Task.Delay(5);
        var id = await Gc.StartAsync(parameters, "MANUAL");
        Assert.NotNull(id);
        await Gc.WaitAsync(id.Value);
        var run = await Store.GetRunAsync(id.Value);
        Assert.Equal("Success", run!.Status);
        return run;
    }

    private async Task<bool> ExistsAsync(Digest digest) => await Blobs.GetSizeAsync(digest) is not null;

    [Fact]
    public async Task OnlyUnreachableBlobsAreDeletedAndEverythingReferencedSurvives()
    {
        var repository = NewRepository();
        var grain = fixture.Silo(0).GetGrain<IRepositoryGrain>(repository);
        var config = await PushBlobAsync(repository, "config-" + repository);
        var layerA = await PushBlobAsync(repository, "layer-a-" + repository);
        var layerB = await PushBlobAsync(repository, "layer-b-" + repository);
        var referrerLayer = await PushBlobAsync(repository, "sbom-" + repository);
        var garbage = await PushBlobAsync(repository, "garbage-" + repository);

        var amd64 = Image("amd64", config, [layerA]);
        var arm64 = Image("arm64", config, [layerB]);
        Assert.Null((await grain.PutManifestAsync(amd64 with { Reference = amd64.Digest.ToString() })).Error);
        Assert.Null((await grain.PutManifestAsync(arm64 with { Reference = arm64.Digest.ToString() })).Error);
        var index = Index("multi", amd64, arm64);
        Assert.Null((await grain.PutManifestAsync(index)).Error);
        var sbom = Image("x", config, [referrerLayer], subject: index.Digest);
        Assert.Null((await grain.PutManifestAsync(sbom with { Reference = sbom.Digest.ToString() })).Error);

        var run = await RunAsync(Now);

        Assert.True(run.BlobsDeleted >= 1);
        Assert.False(await ExistsAsync(garbage));
        Assert.Null(await grain.GetBlobSizeAsync(garbage));
        foreach (var kept in new[] { config, layerA, layerB, referrerLayer })
        {
            Assert.True(await ExistsAsync(kept), $"{kept} was deleted");
            Assert.NotNull(await grain.GetBlobSizeAsync(kept));
        }
        Assert.NotNull(await grain.GetManifestAsync("multi", true));
        Assert.NotNull(await grain.GetManifestAsync(sbom.Digest.ToString(), true));
        Assert.Contains($"deleted blob {garbage}", await Store.GetRunLogAsync(run.Id));
    }

    [Fact]
    public async Task ADryRunReportsTheGarbageAndDeletesNothing()
    {
        var repository = NewRepository();
        var garbage = await PushBlobAsync(repository, "dry-" + repository);
        var run = await RunAsync(Now with { DryRun = true });
        Assert.True(run.BlobsDeleted >= 1);
        Assert.True(run.DryRun);
        Assert.Contains($"would delete blob {garbage}", await Store.GetRunLogAsync(run.Id));
        Assert.True(await ExistsAsync(garbage));
        Assert.NotNull(await fixture.Silo(0).GetGrain<IRepositoryGrain>(repository).GetBlobSizeAsync(garbage));
    }

    [Fact]
    public async Task BlobsLinkedWithinTheWindowAreKept()
    {
        var repository = NewRepository();
        var recent = await PushBlobAsync(repository, "recent-" + repository);
        await RunAsync(Now with { TimeWindowHours = 2 });
        Assert.True(await ExistsAsync(recent));
        await RunAsync(Now);
        Assert.False(await ExistsAsync(recent));
    }

    [Fact]
    public async Task DeleteUntaggedMovesLooseManifestsOutButKeepsTaggedOnesAndIndexChildren()
    {
        var repository = NewRepository();
        var grain = fixture.Silo(0).GetGrain<IRepositoryGrain>(repository);
        var config = await PushBlobAsync(repository, "cfg-" + repository);
        var loose = Image("v1", config, []);
        Assert.Null((await grain.PutManifestAsync(loose)).Error);
        var child = Image("c", config, [config]);
        Assert.Null((await grain.PutManifestAsync(child with { Reference = child.Digest.ToString() })).Error);
        Assert.Null((await grain.PutManifestAsync(Index("multi", child))).Error);
        var tagged = Image("v2", config, [config, config]);
        Assert.Null((await grain.PutManifestAsync(tagged)).Error);
        // Re-pointing v1 leaves the first manifest untagged.
        Assert.Null((await grain.PutManifestAsync(tagged with { Reference = "v1" })).Error);

        var run = await RunAsync(Now with { DeleteUntagged = true });

        Assert.True(run.ManifestsDeleted >= 1);
        Assert.Null(await grain.GetManifestAsync(loose.Digest.ToString(), false));
        Assert.NotNull(await grain.GetManifestAsync(child.Digest.ToString(), false));
        Assert.NotNull(await grain.GetManifestAsync("v1", false));
        Assert.True(await ExistsAsync(config));
    }

    [Fact]
    public async Task AStopRequestEndsTheRunAsStopped()
    {
        var repository = NewRepository();
        for (var i = 0; i < 30; i++) await PushBlobAsync(repository, $"stop-{i}-{repository}");
        await Task.Delay(5);
        var id = (await Gc.StartAsync(Now with { Workers = 1 }, "MANUAL"))!.Value;
        Assert.Null(await Gc.StartAsync(Now, "MANUAL"));
        var stopped = await Gc.StopAsync(id);
        await Gc.WaitAsync(id);
        var run = await Store.GetRunAsync(id);
        if (stopped)
        {
            Assert.Equal("Stopped", run!.Status);
            Assert.Contains("stopped on request", await Store.GetRunLogAsync(id));
        }
        Assert.False(await Gc.StopAsync(id));
        var next = await Gc.StartAsync(Now, "MANUAL");
        Assert.NotNull(next);
        await Gc.WaitAsync(next.Value);
    }

    [Fact]
    public async Task ThePushThatLosesTheRaceGetsManifestBlobUnknownAndEveryAcceptedPushKeepsItsBlobs()
    {
        var repository = NewRepository();
        var grain = fixture.Silo(0).GetGrain<IRepositoryGrain>(repository);
        var accepted = new List<PutManifestCommand>();
        for (var round = 0; round < 8; round++)
        {
            var blobs = new List<Digest>();
            for (var i = 0; i < 6; i++) blobs.Add(await PushBlobAsync(repository, $"race-{round}-{i}-{repository}"));
            await Task.Delay(2);
            var id = (await Gc.StartAsync(Now with { Workers = 2 }, "MANUAL"))!.Value;
            var pushes = blobs.Select(async (b, i) =>
            {
                var command = Image($"r{round}-{i}", b, []);
                var result = await grain.PutManifestAsync(command);
                if (result.Error is null) return command;
                Assert.Equal(OciErrorCode.ManifestBlobUnknown, result.Error);
                return null;
            }).ToList();
            foreach (var command in await Task.WhenAll(pushes)) if (command is not null) accepted.Add(command);
            await Gc.WaitAsync(id);
        }
        await RunAsync(Now);
        foreach (var command in accepted)
        {
            Assert.NotNull(await grain.GetManifestAsync(command.Reference, true));
            var config = ManifestParser.Parse(command.Content, command.MediaType, out _)!.RequiredBlobs.Single();
            Assert.True(await ExistsAsync(config), $"{command.Reference} was accepted but its blob {config} is gone");
            Assert.NotNull(await grain.GetBlobSizeAsync(config));
        }
    }

    [Fact]
    public async Task TheScheduleRunsWhenDueOnceAndNotBefore()
    {
        await Gc.SetScheduleAsync("Custom", "0 0 3 * * *", Now with { DryRun = true });
        var schedule = await Store.GetScheduleAsync();
        var due = schedule!.NextRunAt!.Value;
        Assert.Equal(3, due.Hour);
        Assert.Null(await Gc.RunDueAsync(due.AddSeconds(-1)));
        var id = await Gc.RunDueAsync(due.AddSeconds(1));
        Assert.NotNull(id);
        await Gc.WaitAsync(id.Value);
        var run = await Store.GetRunAsync(id.Value);
        Assert.Equal(("SCHEDULE", true), (run!.JobKind, run.DryRun));
        Assert.Null(await Gc.RunDueAsync(due.AddSeconds(2)));
        Assert.Equal(due.AddDays(1), (await Store.GetScheduleAsync())!.NextRunAt);

        await Gc.SetScheduleAsync("None", null, Now);
        Assert.Null((await Store.GetScheduleAsync())!.NextRunAt);
        Assert.Null(await Gc.RunDueAsync(due.AddDays(30)));
    }
}
