using System.Data;
using System.Data.Common;
using Npgsql;

namespace Registry.Grains.Metadata;

/// <summary>
/// The shared metadata database on PostgreSQL, for several nodes at once. Every operation borrows a
/// pooled connection from one <see cref="NpgsqlDataSource"/> and returns it at once; every
/// multi-row change runs in one transaction (<see cref="WriteAsync{T}"/>).
/// <para>
/// The pool is capped at <see cref="DefaultMaxPoolSize"/> connections per node unless the
/// connection string sets <c>Maximum Pool Size</c>, so that several nodes stay well below the
/// server's <c>max_connections</c>.
/// </para>
/// <para>
/// When the server goes away (restart, failover) the operation in flight throws an
/// <see cref="NpgsqlException"/> and nothing is retried here. The pool's idle connections are then
/// dropped too, so the calls that follow open fresh connections instead of failing one stale
/// connection at a time: Npgsql does so itself when the server announced its shutdown (57P01), and
/// <see cref="ReadAsync{T}"/> does so for a connection that broke without a word.
/// </para>
/// </summary>
public sealed class PostgresDatabase : IMetadataDatabase, IAsyncDisposable
{
    /// <summary>The pool size per node when the connection string does not choose one.</summary>
    public const int DefaultMaxPoolSize = 20;

    /// <summary>The advisory lock key serialising migrations across nodes ("Registry" in ASCII).</summary>
    internal const long MigrationLockKey = 0x5265_6769_7374_7279;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _description;

    public PostgresDatabase(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Maximum Pool Size") && !given.ContainsKey("MaxPoolSize"))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }
        _description = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    /// <summary>The pool's effective settings (for tests and diagnostics).</summary>
    internal NpgsqlConnectionStringBuilder Settings => new(_dataSource.ConnectionString);

    /// <summary>
    /// Applies pending migrations (see <see cref="PostgresSchema"/>), each in its own transaction
    /// that first takes a transaction-scoped advisory lock: nodes starting together queue on the
    /// lock, and each finds, once it holds it, whether another node has applied the migration.
    /// </summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        var applied = await WriteAsync(async (c, tx) =>
        {
            await LockMigrationsAsync(c, tx, cancellationToken);
            await ExecuteAsync(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at bigint NOT NULL)", cancellationToken);
            await using var cmd = Command(c, tx, "SELECT coalesce(max(version), 0) FROM schema_migrations");
            return Convert.ToInt32(await cmd.ExecuteScalarAsync(cancellationToken));
        }, cancellationToken);

        for (var i = applied; i < PostgresSchema.Migrations.Count; i++)
        {
            var version = i + 1;
            await WriteAsync(async (c, tx) =>
            {
                await LockMigrationsAsync(c, tx, cancellationToken);
                await using (var check = Command(c, tx, "SELECT 1 FROM schema_migrations WHERE version = @v", ("@v", version)))
                {
                    if (await check.ExecuteScalarAsync(cancellationToken) is not null) return 0;
                }
                await ExecuteAsync(c, tx, PostgresSchema.Migrations[i], cancellationToken);
                return await ExecuteAsync(c, tx, "INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @t)", cancellationToken,
                    ("@v", version), ("@t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            }, cancellationToken);
        }
    }

    /// <summary>"PostgreSQL host:port/database"; never the user or the password.</summary>
    public string Describe() => _description;

    /// <summary>
    /// Runs <paramref name="work"/> on a pooled connection, given back to the pool when it is done;
    /// on its own (no transaction) for single-statement reads.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken = default)
    {
        NpgsqlConnection? connection = null;
        try
        {
            connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            return await work(connection);
        }
        catch (NpgsqlException ex) when (IsBroken(connection, ex))
        {
            _dataSource.Clear();
            throw;
        }
        finally
        {
            if (connection is not null) await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one read-committed transaction on a pooled connection and
    /// commits it; an exception rolls everything back.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken = default) =>
        InTransactionAsync(work, IsolationLevel.ReadCommitted, cancellationToken);

    /// <summary>Runs several reads in one repeatable-read transaction, so that they all see one snapshot.</summary>
    public Task<T> ReadSnapshotAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken = default) =>
        InTransactionAsync(work, IsolationLevel.RepeatableRead, cancellationToken);

    public static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, IsolationLevel isolation, CancellationToken cancellationToken) =>
        ReadAsync(async c =>
        {
            await using var tx = await c.BeginTransactionAsync(isolation, cancellationToken);
            var result = await work(c, tx);
            await tx.CommitAsync(cancellationToken);
            return result;
        }, cancellationToken);

    private static Task LockMigrationsAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken cancellationToken) =>
        ExecuteAsync(c, tx, "SELECT pg_advisory_xact_lock(@k)", cancellationToken, ("@k", MigrationLockKey));

    /// <summary>
    /// Whether the failure says the server's connections are gone: opening failed (other than on
    /// an exhausted pool, which clearing would only make worse) or the connection broke.
    /// </summary>
    private static bool IsBroken(NpgsqlConnection? connection, NpgsqlException ex) =>
        connection is null
            ? ex.InnerException is not TimeoutException
            : connection.FullState.HasFlag(ConnectionState.Broken) || connection.State == ConnectionState.Closed;
}
