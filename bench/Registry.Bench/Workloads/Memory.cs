using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>
/// 6: the server's resident memory (VmRSS) before, during (sampled every 20 ms) and after a big
/// blob is pushed and pulled: a streaming server grows by its buffers, not by the blob. Runs right
/// after the warm-up, before bigger workloads have grown any heap, so the growth is not hidden.
/// </summary>
public sealed class Memory(int sizeMiB) : Workload
{
    const string Repo = "library/bench-memory";
    readonly BlobSource blob = new(Seeds.Next(), sizeMiB * MiB);
    readonly Metric startup = new(6, "RSS after start-up", "MiB", Comparable: false);
    readonly Metric start = new(6, $"RSS before the {sizeMiB} MiB push (after warm-up)", "MiB", Comparable: false);
    readonly Metric after = new(6, $"RSS growth after {sizeMiB} MiB push + pull", "MiB", Target.Below(64, "MiB"), Comparable: false);
    readonly Metric peak = new(6, $"RSS peak growth during {sizeMiB} MiB push + pull", "MiB", Target.Below(64, "MiB"), Comparable: false);

    public override string Title => $"6. memory: RSS around a {sizeMiB} MiB push and pull";
    public override IReadOnlyList<Metric> Metrics => [startup, start, after, peak];

    public override Task PrepareAsync(CancellationToken ct) => Task.Run(() => blob.Digest, ct);

    public override async Task RunAsync(Side side, int round, IRecorder recorder, CancellationToken ct)
    {
        var before = side.Process.RssBytes();
        var highest = before;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                highest = Math.Max(highest, side.Process.RssBytes());
                await Task.Delay(20, CancellationToken.None);
            }
        }, CancellationToken.None);
        try
        {
            await side.Client.PushMonolithicAsync(Repo, blob, ct);
            await side.Client.PullAsync(Repo, blob.Digest, blob.Length, ct);
        }
        finally
        {
            await stop.CancelAsync();
            await sampler;
        }
        var end = side.Process.RssBytes();
        recorder.Record(startup, side.StartupRssBytes / (double)MiB);
        recorder.Record(start, before / (double)MiB);
        recorder.Record(after, (end - before) / (double)MiB);
        recorder.Record(peak, (Math.Max(highest, end) - before) / (double)MiB);
    }
}

/// <summary>Closes workload 6: the highest RSS each server reached over the whole run (VmHWM).</summary>
public sealed class PeakMemory : Workload
{
    readonly Metric hwm = new(6, "RSS high-water mark over the whole run (VmHWM)", "MiB", Comparable: false);

    public override string Title => "6. memory: high-water mark over the run";
    public override IReadOnlyList<Metric> Metrics => [hwm];

    public override Task RunAsync(Side side, int round, IRecorder recorder, CancellationToken ct)
    {
        recorder.Record(hwm, side.Process.PeakRssBytes() / (double)MiB);
        return Task.CompletedTask;
    }
}
