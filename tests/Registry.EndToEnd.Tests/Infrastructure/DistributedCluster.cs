using Registry.AppHost.Local;

namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The distributed profile for real: a PostgreSQL, a Redis and an Azurite started from the
/// installed binaries on free loopback ports, and registry nodes (each its own process and data
/// path) joined into one Orleans cluster through Redis. Every node shares only what the backing
/// services hold.
/// </summary>
public sealed class DistributedCluster : IAsyncDisposable
{
    private readonly ITestOutputHelper output;
    private readonly TempDirectory root = new("registry-cluster", shortPath: true);
    private readonly string clusterId = $"e2e-{Guid.NewGuid():N}"[..16];
    private readonly List<RegistryProcess> nodes = [];

    private DistributedCluster(ITestOutputHelper output)
    {
        this.output = output;
        Postgres = new LocalPostgres(root.Combine("postgres"));
        Redis = new LocalRedis(root.Combine("redis"));
        Azurite = new LocalAzurite(root.Combine("azurite"));
    }

    public LocalPostgres Postgres { get; }
    public LocalRedis Redis { get; }
    public LocalAzurite Azurite { get; }
    public string Password { get; } = $"Cluster{Guid.NewGuid():N}";
    public IReadOnlyList<RegistryProcess> Nodes => nodes;

    /// <summary>The configuration every node gets, as an AppHost would inject it.</summary>
    public Dictionary<string, string> Settings => new()
    {
        ["ConnectionStrings:registrydb"] = Postgres.ConnectionString,
        ["ConnectionStrings:redis"] = Redis.ConnectionString,
        ["ConnectionStrings:blobs"] = Azurite.ConnectionString,
        ["Orleans:ClusterId"] = clusterId,
        ["Orleans:ServiceId"] = "registry-e2e",
        ["Orleans:Endpoints:AdvertisedIPAddress"] = "127.0.0.1",
    };

    public static async Task<DistributedCluster> StartAsync(ITestOutputHelper output, int nodeCount = 2)
    {
        var cluster = new DistributedCluster(output);
        try
        {
            await Task.WhenAll(cluster.Postgres.StartAsync(), cluster.Redis.StartAsync(), cluster.Azurite.StartAsync());
            for (var i = 0; i < nodeCount; i++)
            {
                await cluster.AddNodeAsync();
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task<RegistryProcess> AddNodeAsync()
    {
        var node = await RegistryProcess.StartAsync(output, Password, Settings, $"node {(char)('A' + nodes.Count)}");
        nodes.Add(node);
        return node;
    }

    /// <summary>Every node's log tail and the backing services' recent output, for failure messages.</summary>
    public string Tail() => string.Join("\n", nodes.Select(n => $"---- {n.Name} ----\n{n.Tail(40)}")) +
        $"\n---- postgres ----\n{Postgres.RecentOutput}\n---- redis ----\n{Redis.RecentOutput}";

    public async ValueTask DisposeAsync()
    {
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }

        await Postgres.DisposeAsync();
        await Redis.DisposeAsync();
        await Azurite.DisposeAsync();
        root.Dispose();
    }
}
