using Registry.AppHost;

// The developer's one command: start every resource, show where each runs and whether it is
// healthy, stream their logs, and stop them all on Ctrl+C.
var parsed = AppHostOptions.Parse(args);
if (parsed.Options is not { } options)
{
    return parsed.Report();
}

var output = new ConsoleOutput();
using var shutdown = new ShutdownSignal(output);
if (options.Profile == "distributed")
{
    if (await DistributedProfile.TryCreateAsync(options, BuildOutputs.Load(), output, shutdown.Stop) is not { } distributed)
    {
        return 1;
    }

    try
    {
        return await new Orchestrator(distributed.Resources, output, distributed.Backing).RunAsync(shutdown);
    }
    finally
    {
        output.Info($"stopping {string.Join(", ", distributed.Backing.Select(b => b.Name))}");
        foreach (var server in distributed.Backing)
        {
            await server.StopAsync();
        }
    }
}

if (!EmbeddedProfile.TryCreate(options, BuildOutputs.Load(), output, out var resources))
{
    return 1;
}

return await new Orchestrator(resources, output).RunAsync(shutdown);
