using System.Diagnostics;
using System.Net;
using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>4: <c>GET /v2/&lt;repo&gt;/manifests/v1</c> with an OCI Accept header, at fixed concurrency for a fixed time.</summary>
public sealed class ManifestGets(string loadGenerator, int concurrency, int seconds, int rounds) : Workload
{
    const string Repo = "library/bench-manifest";
    const string Tag = "v1";
    readonly ImageFixture image = new();
    readonly Metric rate = new(4, $"manifest GET ({concurrency} connections, {seconds} s, {loadGenerator})", "req/s", Target.RatioAtLeast(3));

    public override string Title => $"4. manifest GETs for {seconds} s at concurrency {concurrency} ({loadGenerator})";
    public override IReadOnlyList<Metric> Metrics => [rate];

    public override int Rounds => rounds;

    public override async Task RunAsync(Side side, int round, IRecorder recorder, CancellationToken ct)
    {
        if (round == 0)
        {
            await image.PushAsync(side.Client, Repo, Tag, ct);
        }
        var authenticated = await image.CheckReadableAsync(side.Client, Repo, Tag, recorder, ct);
        var perSecond = await ManifestLoad.RunAsync(loadGenerator, [side.Client], Repo, Tag, authenticated, concurrency, seconds, ct);
        recorder.Record(rate, perSecond.Total);
    }
}

/// <summary>
/// 4 on a cluster: the image is pushed through node A, then GETs run through node A alone, node B
/// alone, and both nodes at once (half the connections each, two load generators side by side).
/// Distribution, one node, gets the same: its node A and node B rows are one measurement (of its
/// one address), its "both" row the same two load generators against that address.
/// </summary>
public sealed class ClusterManifestGets(string loadGenerator, int concurrency, int seconds, int rounds) : Workload
{
    const string Repo = "library/bench-manifest";
    const string Tag = "v1";
    readonly ImageFixture image = new();
    readonly Metric viaA = new(4, $"manifest GET via node A ({concurrency} connections, {seconds} s, {loadGenerator})", "req/s", Target.RatioAtLeast(3));
    readonly Metric viaB = new(4, $"manifest GET via node B ({concurrency} connections, {seconds} s, {loadGenerator})", "req/s", Target.RatioAtLeast(3));
    readonly Metric both = new(4, $"manifest GET via both nodes at once (2 × {Math.Max(1, concurrency / 2)} connections, {seconds} s, {loadGenerator})", "req/s",
        Target.RatioAtLeast(3));

    public override string Title => $"4. manifest GETs for {seconds} s at concurrency {concurrency} ({loadGenerator}), through node A, node B, both";
    public override IReadOnlyList<Metric> Metrics => [viaA, viaB, both];

    public override int Rounds => rounds;

    public override async Task RunAsync(Side side, int round, IRecorder recorder, CancellationToken ct)
    {
        if (round == 0)
        {
            await image.PushAsync(side.Client, Repo, Tag, ct);
        }
        var (a, b) = (side.NodeAt(0).Client, side.NodeAt(1).Client);
        var authenticated = await image.CheckReadableAsync(a, Repo, Tag, recorder, ct);
        authenticated |= await image.CheckReadableAsync(b, Repo, Tag, recorder, ct);
        var half = Math.Max(1, concurrency / 2);
        if (side.Nodes.Count == 1)
        {
            var single = await ManifestLoad.RunAsync(loadGenerator, [a], Repo, Tag, authenticated, concurrency, seconds, ct);
            recorder.Record(viaA, single.Total);
            recorder.Record(viaB, single.Total);
        }
        else
        {
            recorder.Record(viaA, (await ManifestLoad.RunAsync(loadGenerator, [a], Repo, Tag, authenticated, concurrency, seconds, ct)).Total);
            recorder.Record(viaB, (await ManifestLoad.RunAsync(loadGenerator, [b], Repo, Tag, authenticated, concurrency, seconds, ct)).Total);
        }
        var spread = await ManifestLoad.RunAsync(loadGenerator, [a, b], Repo, Tag, authenticated, half, seconds, ct);
        Console.WriteLine($"   {side.Name,-12} both at once: {string.Join(" + ", spread.PerTarget.Select(r => Report.Format(r)))} req/s");
        recorder.Record(both, spread.Total);
    }
}

/// <summary>Manifest GET load against one or more addresses at once, by wrk or by HttpClient.</summary>
public static class ManifestLoad
{
    /// <summary>
    /// <paramref name="connections"/> per target for <paramref name="seconds"/>; with wrk one
    /// process per target sharing the cores. Returns the total and each target's rate.
    /// </summary>
    public static async Task<(double Total, double[] PerTarget)> RunAsync(string loadGenerator, IReadOnlyList<OciClient> targets, string repo, string tag,
        bool authenticated, int connections, int seconds, CancellationToken ct)
    {
        var threads = Math.Max(1, Environment.ProcessorCount / targets.Count);
        var rates = loadGenerator == "wrk"
            ? await Task.WhenAll(targets.Select(t => Wrk.RunAsync(t.ManifestUri(repo, tag), connections, seconds, authenticated ? t.Auth : null, ct, threads)))
            : await HammerAsync(targets, repo, tag, authenticated, connections, seconds, ct);
        return (rates.Sum(), rates);
    }

    /// <summary>In-process load: <paramref name="connections"/> loops per target, as long as the check found (anonymous or not).</summary>
    static async Task<double[]> HammerAsync(IReadOnlyList<OciClient> targets, string repo, string tag, bool authenticated, int connections, int seconds,
        CancellationToken ct)
    {
        var done = new long[targets.Count];
        var start = Stopwatch.GetTimestamp();
        var end = start + seconds * Stopwatch.Frequency;
        await Task.WhenAll(Enumerable.Range(0, connections * targets.Count).Select(i => Task.Run(async () =>
        {
            var target = i % targets.Count;
            var client = targets[target];
            while (Stopwatch.GetTimestamp() < end)
            {
                var got = await client.GetManifestAsync(repo, tag, authenticated, ct);
                if (got.Status != HttpStatusCode.OK)
                {
                    throw new RegistryRequestException($"GET {client.ManifestUri(repo, tag)} -> {(int)got.Status}; body: {got.Body}");
                }
                Interlocked.Increment(ref done[target]);
            }
        }, ct)));
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return [.. done.Select(d => d / elapsed)];
    }
}
