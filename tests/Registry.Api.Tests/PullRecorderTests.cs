using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Registry.Api.Hosting;
using Registry.Api.Management;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Api.Tests;

/// <summary>Pulls are tallied in memory and written in batches: one record per key, nothing lost when a write fails, the rest written at shutdown.</summary>
public sealed class PullRecorderTests
{
    private static readonly Digest A = Digest.Compute("a"u8);
    private static readonly Digest B = Digest.Compute("b"u8);

    private static (PullRecorder Recorder, Queries Queries) Create()
    {
        var queries = DispatchProxy.Create<IArtifactQueries, Queries>();
        var recorder = new PullRecorder(queries, TimeProvider.System, Options.Create(new RegistryOptions { PullFlushSeconds = 3600 }), NullLogger<PullRecorder>.Instance);
        return (recorder, (Queries)(object)queries);
    }

    [Fact]
    public async Task PullsOfOneArtifactAndTagAreWrittenAsOneRecordWithTheirCountAndLastTime()
    {
        var (recorder, queries) = Create();
        var before = DateTimeOffset.UtcNow;
        recorder.Record("library/app", A, "v1");
        recorder.Record("library/app", A, "v1");
        recorder.Record("library/app", A, null);
        recorder.Record("library/other", B, "latest");
        Assert.Equal(3, recorder.PendingKeys);

        await recorder.FlushAsync();
        var batch = Assert.Single(queries.Batches);
        Assert.Equal(3, batch.Count);
        Assert.Equal(2, batch.Single(p => p.Repository == "library/app" && p.Tag == "v1").Count);
        Assert.Equal(1, batch.Single(p => p.Repository == "library/app" && p.Tag is null).Count);
        Assert.Equal(B, batch.Single(p => p.Repository == "library/other").Digest);
        Assert.All(batch, p => Assert.InRange(p.At, before, DateTimeOffset.UtcNow));
        Assert.Equal(0, recorder.PendingKeys);

        await recorder.FlushAsync();
        Assert.Single(queries.Batches); // nothing pending, nothing written
    }

    [Fact]
    public async Task ABatchTheStoreRefusesIsKeptAndAddedToTheNextOne()
    {
        var (recorder, queries) = Create();
        recorder.Record("library/app", A, "v1");
        queries.Fail = true;
        await recorder.FlushAsync();
        Assert.Empty(queries.Batches);
        Assert.Equal(1, recorder.PendingKeys);

        queries.Fail = false;
        recorder.Record("library/app", A, "v1");
        await recorder.FlushAsync();
        Assert.Equal(2, Assert.Single(Assert.Single(queries.Batches)).Count);
    }

    [Fact]
    public async Task WhatIsPendingIsWrittenWhenTheHostStops()
    {
        var (recorder, queries) = Create();
        await recorder.StartAsync(CancellationToken.None);
        recorder.Record("library/app", A, "v1");
        await recorder.StopAsync(CancellationToken.None);
        Assert.Equal("library/app", Assert.Single(Assert.Single(queries.Batches)).Repository);
        recorder.Dispose();
    }

    [Fact]
    public async Task ConcurrentPullsAreAllCounted()
    {
        var (recorder, queries) = Create();
        var flushing = Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++) await recorder.FlushAsync();
        });
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++) recorder.Record("library/app", A, "v1");
        })));
        await flushing;
        await recorder.FlushAsync();
        Assert.Equal(80_000, queries.Batches.SelectMany(b => b).Sum(p => p.Count));
    }

    /// <summary>Only <see cref="IArtifactQueries.RecordPullsAsync"/> is called by the recorder.</summary>
    public class Queries : DispatchProxy
    {
        public List<IReadOnlyList<PullRecord>> Batches { get; } = [];

        public bool Fail { get; set; }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(IArtifactQueries.RecordPullsAsync)) throw new NotSupportedException(targetMethod?.Name);
            if (Fail) return Task.FromException(new InvalidOperationException("store down"));
            lock (Batches) Batches.Add([.. (IReadOnlyList<PullRecord>)args![0]!]);
            return Task.CompletedTask;
        }
    }
}
