using Microsoft.Data.Sqlite;

namespace Registry.Grains.Metadata;

/// <summary>
/// The embedded metadata database: one SQLite file in WAL mode. Reads use pooled connections and
/// run in parallel; writes go through one long-lived connection, one transaction at a time, which
/// is how SQLite wants to be written and keeps every multi-row change atomic.
/// </summary>
public sealed class SqliteDatabase : IMetadataDatabase, IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly string _path;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private SqliteConnection? _writer;

    public SqliteDatabase(string path)
    {
        _path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>Applies pending migrations (see <see cref="SqliteSchema"/>) in one transaction each.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken);
        await WriteAsync(async (c, tx) =>
        {
            await using var command = c.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "PRAGMA user_version;";
            var version = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
            for (var i = version; i < SqliteSchema.Migrations.Count; i++)
            {
                await ExecuteAsync(c, tx, SqliteSchema.Migrations[i], cancellationToken);
                await ExecuteAsync(c, tx, $"PRAGMA user_version = {i + 1};", cancellationToken);
            }
            return 0;
        }, cancellationToken);
    }

    public string Describe() => $"SQLite {_path}";

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> in a transaction on the single writer connection.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_writer is null)
            {
                _writer = await OpenAsync(cancellationToken);
                await ExecuteAsync(_writer, null, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", cancellationToken);
            }
            await using var tx = (SqliteTransaction)await _writer.BeginTransactionAsync(cancellationToken);
            var result = await work(_writer, tx);
            await tx.CommitAsync(cancellationToken);
            return result;
        }
        catch (SqliteException)
        {
            // A broken writer connection is replaced rather than reused.
            if (_writer is not null) await _writer.DisposeAsync();
            _writer = null;
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null) await _writer.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _writeLock.Dispose();
    }
}
