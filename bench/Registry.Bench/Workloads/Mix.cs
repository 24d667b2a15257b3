using System.Diagnostics;
using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>
/// 5: zot's benchmark mix: 1, 10 and 100 MiB blobs pushed monolithically and in 5 MiB PATCH chunks
/// (<c>Content-Range: start-end</c>, then PUT ?digest=), then all pulled back; one at a time.
/// Each size class moves about <paramref name="budgetMiB"/> per mode (at least one blob). On a
/// cluster the blobs go to the nodes alternately, and each is pulled through the other node.
/// </summary>
public sealed class Mix(int budgetMiB, int rounds) : Workload
{
    const string Repo = "library/bench-mix";
    const int ChunkSize = 5 * (int)MiB;
    static readonly int[] SizesMiB = [1, 10, 100];
    readonly List<SizeClass> classes = [.. SizesMiB.Select(size => new SizeClass(size, Math.Clamp(budgetMiB / size, 1, 50), rounds))];

    public override string Title => "5. zot-style mix: 1/10/100 MiB, monolithic and 5 MiB chunks, push and pull";
    public override IReadOnlyList<Metric> Metrics => [.. classes.SelectMany(c => new[] { c.Monolithic, c.Chunked, c.Pull })];

    public override Task PrepareAsync(CancellationToken ct) => Task.Run(() =>
        Parallel.ForEach(classes.SelectMany(c => c.Sets.SelectMany(s => s.Monolithic.Concat(s.Chunked))), new ParallelOptions { CancellationToken = ct }, b => _ = b.Digest), ct);

    public override int Rounds => rounds;

    public override async Task RunAsync(Side side, int round, IRecorder recorder, CancellationToken ct)
    {
        foreach (var c in classes)
        {
            var (monolithic, chunked) = c.Sets[round];
            var start = Stopwatch.GetTimestamp();
            foreach (var (i, blob) in monolithic.Index())
            {
                await side.NodeAt(i).Client.PushMonolithicAsync(Repo, blob, ct);
            }
            recorder.Record(c.Monolithic, MiBPerSecond(monolithic.Sum(b => b.Length), start));

            start = Stopwatch.GetTimestamp();
            foreach (var (i, blob) in chunked.Index())
            {
                await side.NodeAt(i).Client.PushChunkedAsync(Repo, blob, ChunkSize, ct);
            }
            recorder.Record(c.Chunked, MiBPerSecond(chunked.Sum(b => b.Length), start));

            start = Stopwatch.GetTimestamp();
            long bytes = 0;
            foreach (var (i, blob) in monolithic.Index().Concat(chunked.Index()))
            {
                bytes += await side.NodeAt(i + 1).Client.PullAsync(Repo, blob.Digest, blob.Length, ct);
            }
            recorder.Record(c.Pull, MiBPerSecond(bytes, start));
        }
    }

    public override bool HasReference => true;

    /// <summary>The same blobs straight to Azurite: monolithic as the big blob, chunked as one block per chunk; all read back.</summary>
    public override async Task RunReferenceAsync(AzuriteReference reference, int round, IRecorder recorder, CancellationToken ct)
    {
        foreach (var c in classes)
        {
            var (monolithic, chunked) = c.Sets[round];
            var start = Stopwatch.GetTimestamp();
            foreach (var blob in monolithic)
            {
                await reference.UploadAsync(AzuriteReference.NameOf(blob), blob, ct);
            }
            recorder.Record(c.Monolithic, MiBPerSecond(monolithic.Sum(b => b.Length), start));

            start = Stopwatch.GetTimestamp();
            foreach (var blob in chunked)
            {
                await reference.UploadInChunksAsync(AzuriteReference.NameOf(blob), blob, ChunkSize, ct);
            }
            recorder.Record(c.Chunked, MiBPerSecond(chunked.Sum(b => b.Length), start));

            start = Stopwatch.GetTimestamp();
            long bytes = 0;
            foreach (var blob in monolithic.Concat(chunked))
            {
                bytes += await reference.DownloadAsync(AzuriteReference.NameOf(blob), blob.Length, ct);
            }
            recorder.Record(c.Pull, MiBPerSecond(bytes, start));
        }
    }

    /// <summary>One size; a fresh (monolithic, chunked) pair of blob sets per round.</summary>
    sealed class SizeClass(int sizeMiB, int count, int sets)
    {
        public (BlobSource[] Monolithic, BlobSource[] Chunked)[] Sets { get; } =
            [.. Enumerable.Range(0, sets).Select(_ => (Blobs(sizeMiB, count), Blobs(sizeMiB, count)))];
        public Metric Monolithic { get; } = new(5, $"mix {sizeMiB} MiB push, monolithic (×{count})", "MiB/s", Reference: true);
        public Metric Chunked { get; } = new(5, $"mix {sizeMiB} MiB push, 5 MiB chunks (×{count})", "MiB/s", Reference: true);
        public Metric Pull { get; } = new(5, $"mix {sizeMiB} MiB pull (×{2 * count})", "MiB/s", Reference: true);

        static BlobSource[] Blobs(int sizeMiB, int count) =>
            [.. Enumerable.Range(0, count).Select(_ => new BlobSource(Seeds.Next(), sizeMiB * MiB))];
    }
}
