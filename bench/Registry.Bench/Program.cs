using Registry.Bench;
using Registry.Bench.Workloads;

// Side-by-side benchmark: our registry vs CNCF distribution, same workloads over plain HTTP.
var options = Options.Parse(args);
if (options is null)
{
    return 2;
}

using var shutdown = Shutdown.Install();
try
{
    await using var servers = await Servers.StartAsync(options, shutdown.Token);
    var report = new Report(options, servers);
    await Runner.RunAsync(WorkloadSet.Create(options), servers.Sides, report, shutdown.Token);
    report.Print();
    report.Save();
    return report.HasErrors ? 1 : 0;
}
catch (OperationCanceledException) when (shutdown.Token.IsCancellationRequested)
{
    Console.Error.WriteLine("bench: cancelled; servers stopped.");
    return 130;
}
catch (BenchException e)
{
    Console.Error.WriteLine($"bench: {e.Message}");
    return 1;
}
