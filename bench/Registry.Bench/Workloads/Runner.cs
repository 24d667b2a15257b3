using System.Runtime.InteropServices;

namespace Registry.Bench.Workloads;

/// <summary>
/// Runs each workload in rounds, ours and distribution (and, in the distributed profile, "Azurite
/// alone" for the workloads that have that reference) taking turns, the order rotated every round,
/// with dirty pages flushed before every turn so that no turn pays for another's writes, and the
/// page cache then dropped (when we may) so that every turn writes into the same kind of memory.
/// </summary>
public static class Runner
{
    /// <summary>One turn of a round: who runs, and what would make the whole bench stop after it.</summary>
    sealed record Turn(string Name, Func<Workload, int, IRecorder, CancellationToken, Task> Run, Func<string?> Failure);

    public static async Task RunAsync(IReadOnlyList<Workload> workloads, Servers servers, Report report, CancellationToken ct)
    {
        foreach (var workload in workloads)
        {
            report.Register(workload.Metrics);
        }
        var sides = servers.Sides.Select(side => new Turn(side.Name, (w, round, recorder, token) => w.RunAsync(side, round, recorder, token), side.Failure));
        var reference = servers.Reference is { } azurite
            ? new Turn(Report.ReferenceName, (w, round, recorder, token) => w.RunReferenceAsync(azurite, round, recorder, token), servers.Sides[0].Failure)
            : null;
        foreach (var workload in workloads)
        {
            Console.WriteLine($"== {workload.Title}{(workload.Rounds > 1 ? $" ({workload.Rounds} rounds)" : "")}");
            await workload.PrepareAsync(ct);
            Turn[] turns = [.. sides, .. reference is not null && workload.HasReference ? [reference] : Array.Empty<Turn>()];
            var failed = new HashSet<string>();
            for (var round = 0; round < workload.Rounds; round++)
            {
                // Two turns swap every round; three rotate (ours, distribution, Azurite; then distribution, Azurite, ours; ...).
                foreach (var turn in turns.Skip(round % turns.Length).Concat(turns.Take(round % turns.Length)))
                {
                    if (failed.Contains(turn.Name))
                    {
                        continue;
                    }
                    await Task.Run(SettlePageCache, ct);
                    try
                    {
                        await turn.Run(workload, round, report.For(turn.Name), ct);
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested)
                    {
                        failed.Add(turn.Name);
                        report.Fail(workload, turn.Name, e);
                    }
                    if (turn.Failure() is { } failure)
                    {
                        throw new BenchException($"during \"{workload.Title}\": {failure}");
                    }
                }
            }
        }
    }

    /// <summary>
    /// sync(2) writes back what the previous turn left dirty. Dropping the (now clean) page cache
    /// matters on a VM whose host backs guest memory lazily: pages the guest never touched cost a
    /// host fault on first write, so writing a 512 MiB blob into untouched memory ran at ~300 MiB/s
    /// and into just-freed memory at ~650 MiB/s, and which side got which depended on the turn
    /// order. Each turn pushes first and pulls what it pushed, so pulls still read from the cache.
    /// </summary>
    static void SettlePageCache()
    {
        Sync();
        if (!DropCaches) return;
        try
        {
            File.WriteAllText("/proc/sys/vm/drop_caches", "1");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            DropCaches = false; // not root, or a container without /proc/sys write access: sync only
        }
    }

    /// <summary>Whether the page cache is dropped before each turn; false when the bench may not.</summary>
    public static bool DropCaches { get; private set; } = OperatingSystem.IsLinux();

    [DllImport("libc", EntryPoint = "sync")]
    static extern void Sync();
}
