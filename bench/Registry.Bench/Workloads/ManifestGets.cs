using System.Diagnostics;
using System.Net;

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
        var uri = side.Client.ManifestUri(Repo, Tag);
        var perSecond = loadGenerator == "wrk"
            ? await Wrk.RunAsync(uri, concurrency, seconds, authenticated ? side.Client.Auth : null, ct)
            : await HammerAsync(side, authenticated, ct);
        recorder.Record(rate, perSecond);
    }

    /// <summary>In-process load: <paramref name="authenticated"/> as the check found, one loop per connection.</summary>
    async Task<double> HammerAsync(Side side, bool authenticated, CancellationToken ct)
    {
        long done = 0;
        var start = Stopwatch.GetTimestamp();
        var end = start + seconds * Stopwatch.Frequency;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                var got = await side.Client.GetManifestAsync(Repo, Tag, authenticated, ct);
                if (got.Status != HttpStatusCode.OK)
                {
                    throw new Oci.RegistryRequestException($"GET {side.Client.ManifestUri(Repo, Tag)} -> {(int)got.Status}; body: {got.Body}");
                }
                Interlocked.Increment(ref done);
            }
        }, ct)));
        return PerSecond(done, start);
    }
}
