using Registry.AppHost;

// The developer's one command: start every resource, show where each runs and whether it is
// healthy, stream their logs, and stop them all on Ctrl+C.
var parsed = AppHostOptions.Parse(args);
if (parsed.Options is not { } options)
{
    return parsed.Report();
}

var output = new ConsoleOutput();
if (!EmbeddedProfile.TryCreate(options, BuildOutputs.Load(), output, out var resources))
{
    return 1;
}

using var shutdown = new ShutdownSignal(output);
return await new Orchestrator(resources, output).RunAsync(shutdown);
