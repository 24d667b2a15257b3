using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Registry.Grains.Metadata;

/// <summary>
/// What the stores written once for both databases (<see cref="SqlIdentityStore"/>,
/// <see cref="SqlArtifactQueries"/>) need from one: connections and transactions through the
/// database's own helpers, and the few places where the SQL differs. Everything else is the SQL
/// both accept: <c>@name</c> parameters, <c>ON CONFLICT</c>, <c>RETURNING</c>, <c>LIMIT/OFFSET</c>.
/// </summary>
internal abstract class SqlSession
{
    /// <summary>The case-insensitive LIKE: SQLite's LIKE already ignores ASCII case, PostgreSQL's does not.</summary>
    public abstract string CaseInsensitiveLike { get; }

    /// <summary>A statement returning one new project id, never handed out before, inside the write transaction.</summary>
    public abstract string NextProjectIdSql { get; }

    /// <summary>Whether <paramref name="exception"/> says a unique index refused the row.</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>
    /// Runs <paramref name="work"/> on a connection of its own; with <paramref name="snapshot"/> in one
    /// read-only transaction, so that several statements (a count and a page) see the same data.
    /// </summary>
    public abstract Task<T> ReadAsync<T>(Func<DbConnection, DbTransaction?, Task<T>> work, bool snapshot, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one write transaction, committed when it returns.</summary>
    public abstract Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken);

    public static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, IEnumerable<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    public static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The first column of the first row, or null when there is no row (or it is NULL).</summary>
    public static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    /// <summary>Every row mapped by <paramref name="map"/>.</summary>
    public static async Task<List<T>> QueryAsync<T>(DbConnection connection, DbTransaction? tx, string sql, Func<DbDataReader, T> map,
        CancellationToken cancellationToken, IEnumerable<(string Name, object? Value)> parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken)) rows.Add(map(reader));
        return rows;
    }

    public static Task<List<T>> QueryAsync<T>(DbConnection connection, DbTransaction? tx, string sql, Func<DbDataReader, T> map,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        QueryAsync(connection, tx, sql, map, cancellationToken, (IEnumerable<(string, object?)>)parameters);

    public static async Task<T?> QuerySingleAsync<T>(DbConnection connection, DbTransaction? tx, string sql, Func<DbDataReader, T> map,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) where T : class =>
        (await QueryAsync(connection, tx, sql, map, cancellationToken, parameters)).FirstOrDefault();
}

/// <summary>Column readers that hide how each database hands back a type (SQLite: integers for flags and ints; PostgreSQL: numeric sums).</summary>
internal static class Columns
{
    public static long Long(this DbDataReader reader, int i) => Convert.ToInt64(reader.GetValue(i));
    public static long? NullableLong(this DbDataReader reader, int i) => reader.IsDBNull(i) ? null : Convert.ToInt64(reader.GetValue(i));
    public static int Int(this DbDataReader reader, int i) => Convert.ToInt32(reader.GetValue(i));
    public static bool Bool(this DbDataReader reader, int i) => Convert.ToBoolean(reader.GetValue(i));
    public static string? NullableString(this DbDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
    public static DateTimeOffset Time(this DbDataReader reader, int i) => DateTimeOffset.FromUnixTimeMilliseconds(reader.Long(i));
    public static DateTimeOffset? NullableTime(this DbDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.Long(i));
}

/// <summary>SQLite: reads on pooled connections, writes on the single writer (<see cref="SqliteDatabase.WriteAsync{T}"/>).</summary>
internal sealed class SqliteSession(SqliteDatabase db) : SqlSession
{
    public override string CaseInsensitiveLike => "LIKE";

    /// <summary>SQLite cannot add an autoincrement column to a table, so project ids come from <c>sequences</c>.</summary>
    public override string NextProjectIdSql => "UPDATE sequences SET next = next + 1 WHERE name = 'projects' RETURNING next - 1";

    public override bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19 /* SQLITE_CONSTRAINT */ } e && e.SqliteExtendedErrorCode is 2067 or 1555 /* UNIQUE, PRIMARYKEY */;

    public override async Task<T> ReadAsync<T>(Func<DbConnection, DbTransaction?, Task<T>> work, bool snapshot, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        if (!snapshot) return await work(connection, null);
        // Deferred: a read transaction, which in WAL mode reads one snapshot and never blocks the writer.
        await using var tx = connection.BeginTransaction(deferred: true);
        var result = await work(connection, tx);
        await tx.CommitAsync(cancellationToken);
        return result;
    }

    public override Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        db.WriteAsync((c, tx) => work(c, tx), cancellationToken);
}

/// <summary>PostgreSQL: pooled connections; several reads in one repeatable-read snapshot.</summary>
internal sealed class PostgresSession(PostgresDatabase db) : SqlSession
{
    public override string CaseInsensitiveLike => "ILIKE";

    public override string NextProjectIdSql => "SELECT nextval(pg_get_serial_sequence('projects', 'id'))";

    public override bool IsUniqueViolation(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override Task<T> ReadAsync<T>(Func<DbConnection, DbTransaction?, Task<T>> work, bool snapshot, CancellationToken cancellationToken) =>
        snapshot
            ? db.ReadSnapshotAsync((c, tx) => work(c, tx), cancellationToken)
            : db.ReadAsync(c => work(c, null), cancellationToken);

    public override Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        db.WriteAsync((c, tx) => work(c, tx), cancellationToken);
}
