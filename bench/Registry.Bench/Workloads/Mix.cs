using System.Diagnostics;
using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>
/// 5: zot's benchmark mix: 1, 10 and 100 MiB blobs pushed monolithically and in 5 MiB PATCH chunks
/// (<c>Content-Range: start-end</c>, then PUT ?digest=), then all pulled back; one at a time.
/// Each size class moves about <paramref name="budgetMiB"/> per mode (at least one blob).
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
            foreach (var blob in monolithic)
            {
                await side.Client.PushMonolithicAsync(Repo, blob, ct);
            }
            recorder.Record(c.Monolithic, MiBPerSecond(monolithic.Sum(b => b.Length), start));

            start = Stopwatch.GetTimestamp();
            foreach (var blob in chunked)
            {
                await side.Client.PushChunkedAsync(Repo, blob, ChunkSize, ct);
            }
            recorder.Record(c.Chunked, MiBPerSecond(chunked.Sum(b => b.Length), start));

            start = Stopwatch.GetTimestamp();
            long bytes = 0;
            foreach (var blob in monolithic.Concat(chunked))
            {
                bytes += await side.Client.PullAsync(Repo, blob.Digest, blob.Length, ct);
            }
            recorder.Record(c.Pull, MiBPerSecond(bytes, start));
        }
    }

    /// <summary>One size; a fresh (monolithic, chunked) pair of blob sets per round.</summary>
    sealed class SizeClass(int sizeMiB, int count, int sets)
    {
        public (BlobSource[] Monolithic, BlobSource[] Chunked)[] Sets { get; } =
            [.. Enumerable.Range(0, sets).Select(_ => (Blobs(sizeMiB, count), Blobs(sizeMiB, count)))];
        public Metric Monolithic { get; } = new(5, $"mix {sizeMiB} MiB push, monolithic (×{count})", "MiB/s");
        public Metric Chunked { get; } = new(5, $"mix {sizeMiB} MiB push, 5 MiB chunks (×{count})", "MiB/s");
        public Metric Pull { get; } = new(5, $"mix {sizeMiB} MiB pull (×{2 * count})", "MiB/s");

        static BlobSource[] Blobs(int sizeMiB, int count) =>
            [.. Enumerable.Range(0, count).Select(_ => new BlobSource(Seeds.Next(), sizeMiB * MiB))];
    }
}
