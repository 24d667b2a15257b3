using System.ComponentModel;
using System.Net.Sockets;

namespace Registry.AppHost;

/// <summary>
/// Starts the resources, watches their processes and /health, prints the table when something
/// changes, and stops everything on a signal. A child that exits is reported, never restarted.
/// </summary>
internal sealed class Orchestrator(IReadOnlyList<Resource> resources, ConsoleOutput output, IReadOnlyList<Registry.AppHost.Local.LocalServer>? backing = null)
{
    private readonly IReadOnlyList<Registry.AppHost.Local.LocalServer> _backing = backing ?? [];
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    public async Task<int> RunAsync(ShutdownSignal shutdown)
    {
        if (PortsInUse() is { Count: > 0 } busy)
        {
            output.Error($"already in use: {string.Join(", ", busy)}; stop what holds it or pick another port (--help).");
            return 1;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        StartAll();
        output.Info($"starting {string.Join(", ", resources.Select(r => r.Name))}; Ctrl+C stops all");
        try
        {
            return await WatchAsync(shutdown.Stop);
        }
        finally
        {
            await StopAllAsync(shutdown.Force);
        }
    }

    private void StartAll()
    {
        for (var i = 0; i < resources.Count; i++)
        {
            var resource = resources[i];
            try
            {
                resource.Process = ChildProcess.Start(resource, ConsoleOutput.PrefixColor(i), output);
            }
            catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
            {
                output.Error($"{resource.Name}: failed to start: {ex.Message}");
            }
        }
    }

    private async Task<int> WatchAsync(CancellationToken stop)
    {
        using var probe = new HealthProbe();
        var printed = false;
        while (!stop.IsCancellationRequested)
        {
            var results = await Task.WhenAll(resources.Select(r => r.IsGone || r.Process is null
                ? Task.FromResult<HealthResult?>(null)
                : CheckAsync(probe, r, stop)));
            var changed = resources.Select((r, i) => r.Update(results[i])).ToList().Contains(true);
            var backingUp = _backing.Select(b => b.IsRunning).ToList();
            changed |= !backingUp.SequenceEqual(_backingWasUp ?? backingUp);
            _backingWasUp = backingUp;
            if (stop.IsCancellationRequested)
            {
                break;
            }

            if ((changed && printed) || (!printed && resources.All(r => r.IsSettled)))
            {
                output.Block(ResourceTable.Render(resources, _backing, output));
                printed = true;
            }

            if (resources.All(r => r.IsGone))
            {
                output.Error("every resource has exited; nothing left to run.");
                return 1;
            }

            var interval = TimeSpan.FromSeconds(resources.Any(r => r.State == ResourceState.Starting) ? 1 : 5);
            var exits = resources.Where(r => !r.IsGone && r.Process is not null).Select(r => r.Process!.Exited);
            await Task.WhenAny(exits.Append(Task.Delay(interval, stop)));
        }

        return 0;
    }

    private List<bool>? _backingWasUp;

    private static async Task<HealthResult?> CheckAsync(HealthProbe probe, Resource resource, CancellationToken stop)
    {
        try
        {
            return await probe.CheckAsync(resource.Url, stop);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task StopAllAsync(CancellationToken force)
    {
        var running = resources.Where(r => r.Process is { HasExited: false }).ToList();
        if (running.Count > 0)
        {
            output.Info($"stopping {string.Join(", ", running.Select(r => r.Name))}");
            await Task.WhenAll(running.Select(r => r.Process!.StopAsync(StopGrace, force)));
            foreach (var resource in resources)
            {
                resource.Update(null);
            }

            output.Block(ResourceTable.Render(resources, _backing, output));
        }

        foreach (var resource in resources)
        {
            resource.Process?.Dispose();
        }
    }

    private void KillAll()
    {
        foreach (var resource in resources)
        {
            resource.Process?.KillNow();
        }
    }

    private List<string> PortsInUse() => resources
        .Where(r => IsListening(r.Url.Port))
        .Select(r => $"{r.Name} port {r.Url.Port}")
        .ToList();

    private static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync("localhost", port).Wait(TimeSpan.FromMilliseconds(500));
        }
        catch (AggregateException)
        {
            return false;
        }
    }
}
