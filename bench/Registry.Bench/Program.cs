using Registry.Bench;
using Registry.Bench.Workloads;

// Side-by-side benchmark: our registry vs CNCF distribution, same workloads over plain HTTP; one
// section per profile (embedded; distributed: two nodes over PostgreSQL, Redis and Azurite).
var options = Options.Parse(args);
if (options is null)
{
    return 2;
}

using var shutdown = Shutdown.Install();
var reports = new List<Report>();
try
{
    foreach (var profile in options.Profiles)
    {
        Console.WriteLine($"==== {profile.ToString().ToLowerInvariant()} profile");
        await using var servers = await Servers.StartAsync(options, profile, shutdown.Token);
        var report = new Report(options, servers);
        await Runner.RunAsync(WorkloadSet.Create(options, profile), servers, report, shutdown.Token);
        report.Print();
        reports.Add(report);
        Report.Save(options, reports);
    }
    return reports.Any(r => r.HasErrors) ? 1 : 0;
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
