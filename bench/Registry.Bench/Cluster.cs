using System.Diagnostics;
using Registry.AppHost.Local;

namespace Registry.Bench;

/// <summary>
/// A PostgreSQL, Redis or Azurite (the AppHost's launchers of the installed binaries) as a child
/// of the bench: <see cref="Shutdown"/> kills it if the bench must stop at once, dispose stops it
/// gracefully.
/// </summary>
public sealed class BackingService(LocalServer server, string binaryForVersion) : IKillable, IAsyncDisposable
{
    public LocalServer Server => server;
    public string Name => server.Name;
    public bool IsRunning => server.IsRunning;
    public string RecentOutput => server.RecentOutput;

    /// <summary>What <c>--version</c> of the server's binary says, read at start.</summary>
    public string Version { get; private set; } = "?";

    public async Task StartAsync(CancellationToken ct)
    {
        Shutdown.Track(this);
        try
        {
            await server.StartAsync(ct);
        }
        catch (Exception e) when (e is MissingServerException or InvalidOperationException or TimeoutException)
        {
            throw new BenchException($"{server.Name} did not start: {e.Message}");
        }
        Version = Servers.VersionLine(binaryForVersion);
        Console.WriteLine($"bench: {server.Name} ready on 127.0.0.1:{server.Port} (pid {server.ProcessId})");
    }

    public void Kill()
    {
        if (server.ProcessId is var pid and > 0)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // already gone
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await server.DisposeAsync();
        }
        finally
        {
            Shutdown.Untrack(this);
        }
    }
}

/// <summary>
/// Ours in the distributed profile: PostgreSQL (metadata), Redis (Orleans clustering, reminders,
/// data protection, cache) and Azurite (blobs) started under one temp dir, and two Registry.Api
/// nodes joined into one Orleans cluster through them, configured as the distributed end-to-end
/// tests and an AppHost configure them. Nodes share only what the backing services hold.
/// </summary>
public static class Cluster
{
    public const int NodeCount = 2;

    public static async Task<Side> StartAsync(Options options, CancellationToken ct)
    {
        var temp = Directory.CreateTempSubdirectory("registry-bench-cluster-").FullName;
        var postgres = new LocalPostgres(Path.Combine(temp, "postgres"));
        var redis = new LocalRedis(Path.Combine(temp, "redis"));
        var azurite = new LocalAzurite(Path.Combine(temp, "azurite"));
        BackingService[] services =
        [
            new(postgres, PostgresBinary()),
            new(redis, "redis-server"),
            new(azurite, "azurite-blob"),
        ];
        var nodes = new List<Node>();
        try
        {
            await Task.WhenAll(services.Select(s => s.StartAsync(ct)));
            var password = Servers.NewPassword();
            var settings = new Dictionary<string, string>
            {
                ["ConnectionStrings:registrydb"] = postgres.ConnectionString,
                ["ConnectionStrings:redis"] = redis.ConnectionString,
                ["ConnectionStrings:blobs"] = azurite.ConnectionString,
                ["Orleans:ClusterId"] = $"bench-{Guid.NewGuid():N}"[..16],
                ["Orleans:ServiceId"] = "registry-bench",
                ["Orleans:Endpoints:AdvertisedIPAddress"] = "127.0.0.1",
            };
            // One after the other, as an operator scales out: the first node creates the schema.
            for (var i = 0; i < NodeCount; i++)
            {
                var name = $"node {(char)('A' + i)}";
                var dir = Path.Combine(temp, $"node-{(char)('a' + i)}");
                nodes.Add(await Servers.StartApiNodeAsync(options, name, Path.Combine(dir, "data"), Path.Combine(dir, "server.log"), password, settings, ct));
            }
            var description =
                $"Registry, distributed profile ({BuildInfo.Configuration(options.ApiDll)} build, {options.ApiDll}): {NodeCount} nodes in one Orleans cluster; " +
                $"metadata in {services[0].Version} (initdb defaults, `max_connections=200`), Orleans clustering/reminders, data protection and cache in {services[1].Version.Split(" sha=")[0]} (AOF, everysec), " +
                $"blobs in Azurite {services[2].Version} (`--loose --skipApiVersionCheck`, data on disk); all local, started by the bench";
            return new Side("ours", description, nodes, temp, services);
        }
        catch
        {
            // Everything started so far is stopped and the temp dir removed, whatever failed.
            await new Side("ours", "", nodes, temp, services).DisposeAsync();
            throw;
        }
    }

    /// <summary>The postgres binary LocalPostgres runs (highest /usr/lib/postgresql/N), for its version line.</summary>
    static string PostgresBinary() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "postgres")).Where(File.Exists).Order().LastOrDefault() ?? "postgres"
            : "postgres";
}
