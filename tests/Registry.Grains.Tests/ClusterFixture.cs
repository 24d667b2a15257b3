using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Registry.Grains.Metadata;

namespace Registry.Grains.Tests;

/// <summary>
/// Two in-process silos over one embedded store, so tests can call a grain through either silo
/// and see that there is one activation and one truth.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public string DataPath => _dir.Path;

    public async Task InitializeAsync()
    {
        await using (var db = new SqliteDatabase(Path.Combine(_dir.Path, "registry.db"))) await db.MigrateAsync();
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSiloHost((_, host) => host.Services.AddEmbeddedStorage(_dir.Path));
        builder.ConfigureSilo((_, silo) => silo.UseInMemoryReminderService());
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>The grain factory of silo <paramref name="index"/>, for calls that start on that silo.</summary>
    public IGrainFactory Silo(int index) =>
        Cluster.GetSiloServiceProvider(Cluster.Silos[index].SiloAddress).GetRequiredService<IGrainFactory>();

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        _dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
