using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>
/// 6: the server's resident memory (VmRSS) before, during (sampled every 20 ms) and after a big
/// blob is pushed and pulled: a streaming server grows by its buffers, not by the blob. Runs right
/// after the warm-up, before bigger workloads have grown any heap, so the growth is not hidden.
/// On a cluster: node A's memory, with node A taking the push and the pull; node B's start-up RSS
/// is an extra row.
/// </summary>
public sealed class Memory(int sizeMiB, bool cluster) : Workload
{
    const string Repo = "library/bench-memory";
    readonly BlobSource blob = new(Seeds.Next(), sizeMiB * MiB);
    readonly Metric startup = new(6, $"RSS after start-up{NodeA(cluster)}", "MiB", Comparable: false);
    readonly Metric startupB = new(6, "RSS after start-up (node B)", "MiB", Comparable: false, OursOnly: true);
    readonly Metric start = new(6, $"RSS before the {sizeMiB} MiB push (after warm-up){NodeA(cluster)}", "MiB", Comparable: false);
    readonly Metric after = new(6, $"RSS growth after {sizeMiB} MiB push + pull{NodeA(cluster)}", "MiB", Target.Below(64, "MiB"), Comparable: false);
    readonly Metric peak = new(6, $"RSS peak growth during {sizeMiB} MiB push + pull{NodeA(cluster)}", "MiB", Target.Below(64, "MiB"), Comparable: false);

    public override string Title => $"6. memory: RSS around a {sizeMiB} MiB push and pull";
    public override IReadOnlyList<Metric> Metrics => cluster ? [startup, startupB, start, after, peak] : [startup, start, after, peak];

    /// <summary>" (node A)" on a cluster: which node a memory row is about.</summary>
    public static string NodeA(bool cluster) => cluster ? " (node A)" : "";

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
        if (cluster && side.Nodes.Count > 1)
        {
            recorder.Record(startupB, side.Nodes[1].StartupRssBytes / (double)MiB);
        }
        recorder.Record(start, before / (double)MiB);
        recorder.Record(after, (end - before) / (double)MiB);
        recorder.Record(peak, (Math.Max(highest, end) - before) / (double)MiB);
    }
}

/// <summary>Closes workload 6: the highest RSS each server (each node of a cluster) reached over the whole run (VmHWM).</summary>
public sealed class PeakMemory(bool cluster) : Workload
{
    readonly Metric hwm = new(6, $"RSS high-water mark over the whole run (VmHWM){Memory.NodeA(cluster)}", "MiB", Comparable: false);
    readonly Metric hwmB = new(6, "RSS high-water mark over the whole run (VmHWM) (node B)", "MiB", Comparable: false, OursOnly: true);

    public override string Title => "6. memory: high-water mark over the run";
    public override IReadOnlyList<Metric> Metrics => cluster ? [hwm, hwmB] : [hwm];

    public override Task RunAsync(Side side, int round, IRecorder recorder, CancellationToken ct)
    {
        recorder.Record(hwm, side.Process.PeakRssBytes() / (double)MiB);
        if (cluster && side.Nodes.Count > 1)
        {
            recorder.Record(hwmB, side.Nodes[1].Process.PeakRssBytes() / (double)MiB);
        }
        return Task.CompletedTask;
    }
}
