using System.Diagnostics;
using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>
/// 3: many 4-64 KiB blobs pushed in parallel, each as POST then PUT ?digest= (docker's flow for a
/// layer); on a cluster to the nodes alternately.
/// </summary>
public sealed class SmallBlobs(int count, int concurrency, int rounds) : Workload
{
    const string Repo = "library/bench-small";
    readonly BlobSource[][] blobs = [.. Enumerable.Range(0, rounds).Select(_ => CreateBlobs(count))];
    readonly Metric rate = new(3, $"small blob push ({count} × 4-64 KiB, {concurrency} parallel)", "blobs/s", Target.RatioAtLeast(1.5), Reference: true);

    public override string Title => $"3. {count} small blob pushes, concurrency {concurrency}";
    public override IReadOnlyList<Metric> Metrics => [rate];

    public override Task PrepareAsync(CancellationToken ct) =>
        Task.Run(() => Parallel.ForEach(blobs.SelectMany(b => b), new ParallelOptions { CancellationToken = ct }, b => _ = b.Digest), ct);

    public override int Rounds => rounds;

    public override async Task RunAsync(Side side, int round, IRecorder recorder, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(blobs[round].Index(), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
            async (item, token) => await side.NodeAt(item.Index).Client.PushMonolithicAsync(Repo, item.Item, token));
        recorder.Record(rate, PerSecond(count, start));
    }

    public override bool HasReference => true;

    /// <summary>The same blobs as one Put Blob each, at the same concurrency.</summary>
    public override async Task RunReferenceAsync(AzuriteReference reference, int round, IRecorder recorder, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(blobs[round], new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
            async (blob, token) => await reference.UploadAsync(AzuriteReference.NameOf(blob), blob, token));
        recorder.Record(rate, PerSecond(count, start));
    }

    static BlobSource[] CreateBlobs(int count)
    {
        var random = new Random(7);
        return [.. Enumerable.Range(0, count).Select(_ => new BlobSource(Seeds.Next(), random.Next(4 * 1024, 64 * 1024 + 1)))];
    }
}
