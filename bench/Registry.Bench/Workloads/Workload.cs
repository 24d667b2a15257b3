using System.Diagnostics;
using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>A goal from the brief: a ratio ours/distribution to reach, or an absolute limit on ours.</summary>
public sealed record Target(string Text, Func<double, double?, bool> IsMet)
{
    public static Target RatioAtLeast(double x) => new($"≥ {x}x", (ours, dist) => dist > 0 && ours / dist >= x);
    public static Target Below(double limit, string unit) => new($"< {limit} {unit}", (ours, _) => ours < limit);
}

/// <summary>
/// One figure of the final table; <paramref name="Comparable"/> is false where a ratio means
/// nothing, <paramref name="OursOnly"/> true where distribution has no such figure (node B of a
/// cluster), and <paramref name="Reference"/> true where the distributed table also shows
/// "Azurite alone" doing the same.
/// </summary>
public sealed record Metric(int Number, string Name, string Unit, Target? Target = null, bool Comparable = true, bool OursOnly = false,
    bool Reference = false);

/// <summary>Where a workload puts its figures and remarks for one side.</summary>
public interface IRecorder
{
    void Record(Metric metric, double value);
    void Note(string text);
}

/// <summary>
/// A workload runs the same steps against each side, once per round; its inputs (fresh blobs for
/// every round, so nothing is ever pushed twice) are prepared once, untimed.
/// </summary>
public abstract class Workload
{
    public abstract string Title { get; }
    public abstract IReadOnlyList<Metric> Metrics { get; }
    public virtual int Rounds => 1;
    public virtual Task PrepareAsync(CancellationToken ct) => Task.CompletedTask;
    public abstract Task RunAsync(Side side, int round, IRecorder recorder, CancellationToken ct);

    /// <summary>Whether <see cref="RunReferenceAsync"/> does something (a turn of "Azurite alone" in the distributed profile).</summary>
    public virtual bool HasReference => false;

    /// <summary>The same bytes as <see cref="RunAsync"/> for this round, straight to Azurite, recorded under the same metrics.</summary>
    public virtual Task RunReferenceAsync(AzuriteReference reference, int round, IRecorder recorder, CancellationToken ct) => Task.CompletedTask;

    protected const long MiB = 1 << 20;

    protected static double MiBPerSecond(long bytes, long startTimestamp) =>
        bytes / (double)MiB / Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;

    protected static double PerSecond(long count, long startTimestamp) =>
        count / Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;
}

/// <summary>Distinct blob contents across the whole run (no workload benefits from another's uploads).</summary>
public static class Seeds
{
    static long next;
    public static ulong Next() => (ulong)Interlocked.Increment(ref next);
}

/// <summary>The workloads of one run, in order, as the options select them.</summary>
public static class WorkloadSet
{
    public static IReadOnlyList<Workload> Create(Options o, Profile profile)
    {
        var cluster = profile == Profile.Distributed;
        var all = new List<Workload> { new Warmup() };
        if (o.Runs(6))
        {
            all.Add(new Memory(o.MemoryMiB, cluster)); // first, while the heaps are small; its rows still print as 6
        }
        if (o.Runs(1) || o.Runs(2))
        {
            all.Add(new BigBlob(o.SizeMiB, o.Rounds));
        }
        if (o.Runs(3))
        {
            all.Add(new SmallBlobs(o.SmallCount, o.SmallConcurrency, o.Rounds));
        }
        if (o.Runs(4))
        {
            all.Add(cluster
                ? new ClusterManifestGets(o.LoadGenerator, o.ManifestConcurrency, o.DurationSeconds, o.Rounds)
                : new ManifestGets(o.LoadGenerator, o.ManifestConcurrency, o.DurationSeconds, o.Rounds));
        }
        if (o.Runs(5))
        {
            all.Add(new Mix(o.MixBudgetMiB, o.Rounds));
        }
        if (o.Runs(6))
        {
            all.Add(new PeakMemory(cluster));
        }
        return all;
    }
}
