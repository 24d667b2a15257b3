using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>
/// Untimed: touches every code path once so that no figure includes JIT or first-connection costs,
/// and checks that what comes back is byte-for-byte what went in.
/// </summary>
public sealed class Warmup : Workload
{
    const string Repo = "library/bench-warmup";
    readonly BlobSource[] small = [.. Enumerable.Range(0, 64).Select(i => new BlobSource(Seeds.Next(), 4096 + i * 512))];
    readonly BlobSource medium = new(Seeds.Next(), 12 * MiB);
    readonly BlobSource chunked = new(Seeds.Next(), 12 * MiB);
    readonly ImageFixture image = new();

    public override string Title => "0. warm-up (untimed)";
    public override IReadOnlyList<Metric> Metrics => [];

    public override async Task RunAsync(Side side, int round, IRecorder recorder, CancellationToken ct)
    {
        var client = side.Client;
        await Parallel.ForEachAsync(small, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (b, t) => await client.PushMonolithicAsync(Repo, b, t));
        await client.PushMonolithicAsync(Repo, medium, ct);
        await client.PushChunkedAsync(Repo, chunked, 5 * (int)MiB, ct);
        await client.PullAsync(Repo, medium.Digest, medium.Length, ct, verifyDigest: true);
        await client.PullAsync(Repo, chunked.Digest, chunked.Length, ct, verifyDigest: true);
        await image.PushAsync(client, Repo, "warm", ct);
        var authenticated = await image.CheckReadableAsync(client, Repo, "warm", recorder, ct);
        await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
            async (_, t) => await client.GetManifestAsync(Repo, "warm", authenticated, t));
    }
}
