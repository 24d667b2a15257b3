using System.Runtime.InteropServices;

namespace Registry.Bench.Workloads;

/// <summary>
/// Runs each workload in rounds, ours and distribution (and, in the distributed profile, "Azurite
/// alone" for the workloads that have that reference) taking turns, the order rotated every round,
/// with dirty pages flushed before every turn so that no turn pays for another's writes.
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
                    await Task.Run(Sync, ct);
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

    /// <summary>sync(2): writes back what the previous turn left dirty in the page cache.</summary>
    [DllImport("libc", EntryPoint = "sync")]
    static extern void Sync();
}
