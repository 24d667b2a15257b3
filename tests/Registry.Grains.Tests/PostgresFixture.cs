using Npgsql;
using Registry.AppHost.Local;

namespace Registry.Grains.Tests;

/// <summary>
/// One local PostgreSQL server for the test run, under a temporary directory, stopped and removed
/// at the end. Tests isolate themselves with a fresh database each (<see cref="CreateDatabaseAsync"/>).
/// Missing binaries fail every test that uses it with <see cref="MissingServerException"/>'s message.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private int _databases;

    public PostgresFixture() => Server = new LocalPostgres(Path.Combine(_dir.Path, "postgres"));

    public LocalPostgres Server { get; }

    public Task InitializeAsync() => Server.StartAsync();

    /// <summary>
    /// A new, empty database whose default collation is ICU English, not byte order: a store that
    /// relied on the database's collation instead of its own <c>COLLATE "C"</c> would list names
    /// in a different order than SQLite and fail the paging tests.
    /// </summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"test_{Interlocked.Increment(ref _databases)}";
        await using var admin = new NpgsqlConnection(Server.ConnectionStringFor("postgres") + ";Pooling=false");
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            $"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en'", admin);
        await cmd.ExecuteNonQueryAsync();
        return Server.ConnectionStringFor(name);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
