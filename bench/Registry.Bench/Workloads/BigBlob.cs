using System.Diagnostics;
using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>
/// 1 and 2: one big blob pushed monolithically (POST, then PUT ?digest= streaming the body), then
/// pulled; on a cluster pushed through one node and pulled through the other (swapped every round).
/// </summary>
public sealed class BigBlob(int sizeMiB, int rounds) : Workload
{
    const string Repo = "library/bench-big";
    readonly BlobSource[] blobs = [.. Enumerable.Range(0, rounds).Select(_ => new BlobSource(Seeds.Next(), sizeMiB * MiB))];
    readonly Metric push = new(1, $"big blob push ({sizeMiB} MiB, monolithic)", "MiB/s", Target.RatioAtLeast(1.5), Reference: true);
    readonly Metric pull = new(2, $"big blob pull ({sizeMiB} MiB)", "MiB/s", Target.RatioAtLeast(1.2), Reference: true);

    public override string Title => $"1-2. big blob push and pull, {sizeMiB} MiB";
    public override IReadOnlyList<Metric> Metrics => [push, pull];

    public override int Rounds => rounds;

    public override Task PrepareAsync(CancellationToken ct) =>
        Task.Run(() => Parallel.ForEach(blobs, new ParallelOptions { CancellationToken = ct }, b => _ = b.Digest), ct);

    public override async Task RunAsync(Side side, int round, IRecorder recorder, CancellationToken ct)
    {
        var blob = blobs[round]; // the same fresh blob for both sides: each has its own storage
        var start = Stopwatch.GetTimestamp();
        await side.NodeAt(round).Client.PushMonolithicAsync(Repo, blob, ct);
        recorder.Record(push, MiBPerSecond(blob.Length, start));

        start = Stopwatch.GetTimestamp();
        var bytes = await side.NodeAt(round + 1).Client.PullAsync(Repo, blob.Digest, blob.Length, ct);
        recorder.Record(pull, MiBPerSecond(bytes, start));
    }

    public override bool HasReference => true;

    public override async Task RunReferenceAsync(AzuriteReference reference, int round, IRecorder recorder, CancellationToken ct)
    {
        var blob = blobs[round];
        var name = AzuriteReference.NameOf(blob);
        var start = Stopwatch.GetTimestamp();
        await reference.UploadAsync(name, blob, ct);
        recorder.Record(push, MiBPerSecond(blob.Length, start));

        start = Stopwatch.GetTimestamp();
        var bytes = await reference.DownloadAsync(name, blob.Length, ct);
        recorder.Record(pull, MiBPerSecond(bytes, start));
    }
}
