using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>
/// Untimed: touches every code path once so that no figure includes JIT or first-connection costs,
/// and checks that what comes back is byte-for-byte what went in. On a cluster every node takes
/// every path, pulling what another node pushed.
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
        for (var i = 0; i < side.Nodes.Count; i++)
        {
            await WarmAsync(side.NodeAt(i).Client, side.NodeAt(i + 1).Client, recorder, ct);
        }
    }

    public override bool HasReference => true;

    /// <summary>The SDK paths of "Azurite alone" (Put Blob, Put Block + Put Block List, Get Blob), so its figures exclude JIT too.</summary>
    public override async Task RunReferenceAsync(AzuriteReference reference, int round, IRecorder recorder, CancellationToken ct)
    {
        await Parallel.ForEachAsync(small, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (b, t) => await reference.UploadAsync(AzuriteReference.NameOf(b), b, t));
        await reference.UploadAsync(AzuriteReference.NameOf(medium), medium, ct);
        await reference.UploadInChunksAsync(AzuriteReference.NameOf(chunked), chunked, 5 * (int)MiB, ct);
        await reference.DownloadAsync(AzuriteReference.NameOf(medium), medium.Length, ct);
        await reference.DownloadAsync(AzuriteReference.NameOf(chunked), chunked.Length, ct);
    }

    async Task WarmAsync(OciClient client, OciClient puller, IRecorder recorder, CancellationToken ct)
    {
        await Parallel.ForEachAsync(small, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (b, t) => await client.PushMonolithicAsync(Repo, b, t));
        await client.PushMonolithicAsync(Repo, medium, ct);
        await client.PushChunkedAsync(Repo, chunked, 5 * (int)MiB, ct);
        await puller.PullAsync(Repo, medium.Digest, medium.Length, ct, verifyDigest: true);
        await puller.PullAsync(Repo, chunked.Digest, chunked.Length, ct, verifyDigest: true);
        await image.PushAsync(client, Repo, "warm", ct);
        foreach (var reader in new[] { client, puller }.Distinct())
        {
            var authenticated = await image.CheckReadableAsync(reader, Repo, "warm", recorder, ct);
            await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
                async (_, t) => await reader.GetManifestAsync(Repo, "warm", authenticated, t));
        }
    }
}
