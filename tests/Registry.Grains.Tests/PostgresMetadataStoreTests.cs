using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Registry.Grains.Metadata;

namespace Registry.Grains.Tests;

/// <summary>The conformance tests on PostgreSQL, one new database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMetadataStoreTests(PostgresFixture postgres) : MetadataStoreConformanceTests
{
    protected override async Task ConfigureAsync(IServiceCollection services) =>
        services.AddPostgresMetadata(await postgres.CreateDatabaseAsync());
}

/// <summary>What only the shared PostgreSQL database has to handle: several nodes, outages, credentials.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDatabaseTests(PostgresFixture postgres)
{
    [Fact]
    public async Task NodesMigratingAtOnceAllSucceedAndEachMigrationIsAppliedOnce()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("migrate_race");
        var nodes = Enumerable.Range(0, 8).Select(_ => new PostgresDatabase(connectionString)).ToList();
        try
        {
            using var start = new ManualResetEventSlim();
            var migrations = nodes.Select(db => Task.Run(async () =>
            {
                start.Wait();
                await db.MigrateAsync();
            })).ToList();
            start.Set();
            await Task.WhenAll(migrations);
            await nodes[0].MigrateAsync();

            var versions = await nodes[0].ReadAsync(async c =>
            {
                await using var cmd = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", c);
                await using var reader = await cmd.ExecuteReaderAsync();
                var list = new List<int>();
                while (await reader.ReadAsync()) list.Add(reader.GetInt32(0));
                return list;
            });
            Assert.Equal(Enumerable.Range(1, PostgresSchema.Migrations.Count), versions);
            var libraries = await nodes[0].ReadAsync(async c =>
            {
                await using var cmd = new NpgsqlCommand("SELECT count(*) FROM projects WHERE name = 'library'", c);
                return (long)(await cmd.ExecuteScalarAsync())!;
            });
            Assert.Equal(1, libraries);
        }
        finally
        {
            foreach (var db in nodes) await db.DisposeAsync();
        }
    }

    [Fact]
    public async Task KeysetPagingMatchesSqliteExactly()
    {
        using var dir = new TempDirectory();
        await using var sqlite = new SqliteDatabase(Path.Combine(dir.Path, "registry.db"));
        await sqlite.MigrateAsync();
        await using var pg = new PostgresDatabase(await postgres.CreateDatabaseAsync());
        await pg.MigrateAsync();

        // The database's own collation is linguistic; only the schema's COLLATE "C" makes the order bytes.
        Assert.True(await pg.ReadAsync(async c =>
        {
            await using var cmd = new NpgsqlCommand("SELECT 'a'::text < 'B'::text", c);
            return (bool)(await cmd.ExecuteScalarAsync())!;
        }));

        var stores = new IRepositoryStore[] { new SqliteRepositoryStore(sqlite, TimeProvider.System), new PostgresRepositoryStore(pg, TimeProvider.System) };
        var m = MetadataStoreConformanceTests.Manifest("library/p", "{}");
        foreach (var store in stores)
        {
            foreach (var tag in MetadataStoreConformanceTests.AwkwardNames) await store.SaveManifestAsync(m, tag);
        }

        foreach (var pageSize in new[] { 1, 2, 5, 50 })
        {
            var fromSqlite = await MetadataStoreConformanceTests.PageAllTagsAsync((IListingStore)stores[0], "library/p", pageSize);
            var fromPostgres = await MetadataStoreConformanceTests.PageAllTagsAsync((IListingStore)stores[1], "library/p", pageSize);
            Assert.Equal(MetadataStoreConformanceTests.AwkwardNames.Length, fromSqlite.Count);
            Assert.Equal(fromSqlite, fromPostgres);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AfterTheServerRestartsTheFailuresAreNpgsqlExceptionsAndThePoolRecovers(bool crash)
    {
        await using var db = new PostgresDatabase(await postgres.CreateDatabaseAsync());
        await db.MigrateAsync();
        var accounts = new PostgresAccountStore(db, TimeProvider.System);

        // Several connections at once, so that the pool holds several idle ones when the server goes.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => db.ReadAsync(async c =>
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_sleep(0.2)", c);
            return await cmd.ExecuteScalarAsync();
        })));
        var before = await BackendPidAsync(db);

        if (crash)
        {
            await postgres.Server.KillAsync();
        }
        else
        {
            await postgres.Server.StopAsync();
        }
        Assert.False(postgres.Server.IsRunning);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => accounts.PingAsync());
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => accounts.GetProjectAsync("library"));

        await postgres.Server.StartAsync();
        try
        {
            await accounts.PingAsync();
        }
        catch (NpgsqlException)
        {
            // The first call after the restart may still meet a connection from before it.
        }

        // Every later call succeeds, on connections opened after the restart.
        for (var i = 0; i < 12; i++)
        {
            Assert.True((await accounts.GetProjectAsync("library"))!.Public);
            Assert.Equal("v", await accounts.GetOrAddSecretAsync($"s{i}", "v"));
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => accounts.PingAsync()));
        Assert.NotEqual(before, await BackendPidAsync(db));
    }

    [Fact]
    public async Task DescribeNamesHostPortAndDatabaseButNeverTheCredentials()
    {
        await using var db = new PostgresDatabase("Host=db.example;Port=5433;Database=meta;Username=alice;Password=s3cret-pw");
        Assert.Equal("PostgreSQL db.example:5433/meta", db.Describe());
        Assert.DoesNotContain("s3cret", db.Describe());
        Assert.DoesNotContain("alice", db.Describe());
    }

    [Fact]
    public async Task ThePoolHoldsTwentyConnectionsUnlessTheConnectionStringSaysOtherwise()
    {
        await using var byDefault = new PostgresDatabase("Host=localhost;Database=meta");
        Assert.Equal(PostgresDatabase.DefaultMaxPoolSize, byDefault.Settings.MaxPoolSize);
        Assert.Equal(20, PostgresDatabase.DefaultMaxPoolSize);
        await using var chosen = new PostgresDatabase("Host=localhost;Database=meta;Maximum Pool Size=100");
        Assert.Equal(100, chosen.Settings.MaxPoolSize);
        await using var synonym = new PostgresDatabase("Host=localhost;Database=meta;maxpoolsize=7");
        Assert.Equal(7, synonym.Settings.MaxPoolSize);
    }

    [Fact]
    public async Task AddPostgresMetadataRegistersEveryStoreOverOneDatabase()
    {
        var services = new ServiceCollection().AddPostgresMetadata(await postgres.CreateDatabaseAsync());
        await using var provider = services.BuildServiceProvider();
        var db = Assert.IsType<PostgresDatabase>(provider.GetRequiredService<IMetadataDatabase>());
        await db.MigrateAsync();
        Assert.Same(provider.GetRequiredService<IRepositoryStore>(), provider.GetRequiredService<IListingStore>());
        Assert.Same(provider.GetRequiredService<IAccountStore>(), provider.GetRequiredService<IUploadStore>());
        Assert.IsType<PostgresRepositoryStore>(provider.GetRequiredService<IRepositoryStore>());
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
        await provider.GetRequiredService<IAccountStore>().PingAsync();
    }

    private static Task<int> BackendPidAsync(PostgresDatabase db) => db.ReadAsync(async c =>
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_backend_pid()", c);
        return (int)(await cmd.ExecuteScalarAsync())!;
    });
}
