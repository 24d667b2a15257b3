using System.Runtime.InteropServices;

namespace Registry.Bench.Workloads;

/// <summary>
/// Runs each workload in rounds, ours and distribution taking turns (order swapped every round), with
/// dirty pages flushed before every turn so that neither side pays for the other's writes.
/// </summary>
public static class Runner
{
    public static async Task RunAsync(IReadOnlyList<Workload> workloads, IReadOnlyList<Side> sides, Report report, CancellationToken ct)
    {
        foreach (var workload in workloads)
        {
            report.Register(workload.Metrics);
        }
        foreach (var workload in workloads)
        {
            Console.WriteLine($"== {workload.Title}{(workload.Rounds > 1 ? $" ({workload.Rounds} rounds)" : "")}");
            await workload.PrepareAsync(ct);
            var failed = new HashSet<Side>();
            for (var round = 0; round < workload.Rounds; round++)
            {
                foreach (var side in round % 2 == 0 ? sides : sides.Reverse())
                {
                    if (failed.Contains(side))
                    {
                        continue;
                    }
                    await Task.Run(Sync, ct);
                    try
                    {
                        await workload.RunAsync(side, round, report.For(side), ct);
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested)
                    {
                        failed.Add(side);
                        report.Fail(workload, side, e);
                    }
                    if (side.Process.HasExited)
                    {
                        throw new BenchException($"{side.Name} exited during \"{workload.Title}\"; its log ends:\n{side.Process.LogTail()}");
                    }
                }
            }
        }
    }

    /// <summary>sync(2): writes back what the previous turn left dirty in the page cache.</summary>
    [DllImport("libc", EntryPoint = "sync")]
    static extern void Sync();
}
