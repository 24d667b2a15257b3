using System.Data.Common;
using Registry.Grains.Abstractions;
using static Registry.Grains.Metadata.SqlSession;

namespace Registry.Grains.Metadata;

/// <summary><see cref="ILabelStore"/> on either metadata database.</summary>
internal sealed class SqlLabelStore(SqlSession session) : ILabelStore
{
    private const string Columns = "l.id, l.name, l.description, l.color, l.scope, l.project_id, l.created_at, l.updated_at";

    public static LabelRecord Read(DbDataReader r, int i = 0) =>
        new(r.Long(i), r.GetString(i + 1), r.GetString(i + 2), r.GetString(i + 3), r.GetString(i + 4), r.Long(i + 5), r.Time(i + 6), r.Time(i + 7));

    private static readonly ListSpec List = new(
        new Dictionary<string, ListSpec.FilterBuilder> { ["name"] = ListSpec.Text("l.name") },
        new Dictionary<string, string> { ["name"] = "l.name", ["creation_time"] = "l.created_at", ["update_time"] = "l.updated_at" },
        "l.name ASC, l.id ASC", "l.id");

    public async Task<LabelRecord?> CreateAsync(string name, string description, string color, string scope, long projectId, DateTimeOffset now,
        CancellationToken cancellationToken = default)
    {
        try
        {
            return await session.WriteAsync((c, tx) => QuerySingleAsync(c, tx, $"""
                INSERT INTO labels (name, description, color, scope, project_id, created_at, updated_at)
                VALUES (@n, @d, @c, @s, @p, @t, @t) RETURNING {Columns.Replace("l.", "")}
                """, r => Read(r), cancellationToken, ("@n", name), ("@d", description), ("@c", color), ("@s", scope), ("@p", projectId),
                ("@t", now.ToUnixTimeMilliseconds())), cancellationToken);
        }
        catch (Exception e) when (session.IsUniqueViolation(e))
        {
            return null;
        }
    }

    public Task<LabelRecord?> GetAsync(long id, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => QuerySingleAsync(c, tx, $"SELECT {Columns} FROM labels l WHERE l.id = @id", r => Read(r), cancellationToken, ("@id", id)),
            snapshot: false, cancellationToken);

    public async Task<LabelChange> UpdateAsync(long id, string name, string description, string color, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        try
        {
            var rows = await session.WriteAsync((c, tx) => ExecuteAsync(c, tx,
                "UPDATE labels SET name = @n, description = @d, color = @c, updated_at = @t WHERE id = @id", cancellationToken,
                ("@n", name), ("@d", description), ("@c", color), ("@t", now.ToUnixTimeMilliseconds()), ("@id", id)), cancellationToken);
            return rows == 0 ? LabelChange.NotFound : LabelChange.Done;
        }
        catch (Exception e) when (session.IsUniqueViolation(e))
        {
            return LabelChange.Duplicate;
        }
    }

    public Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            await ExecuteAsync(c, tx, "DELETE FROM artifact_labels WHERE label_id = @id", cancellationToken, ("@id", id));
            return await ExecuteAsync(c, tx, "DELETE FROM labels WHERE id = @id", cancellationToken, ("@id", id)) > 0;
        }, cancellationToken);

    public Task<Page<LabelRecord>> ListAsync(ListQuery query, string scope, long? projectId, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) =>
        {
            var sql = new SqlConditions();
            sql.Where($"l.scope = {sql.Parameter(scope)}");
            if (projectId is { } p) sql.Where($"l.project_id = {sql.Parameter(p)}");
            return List.PageAsync(c, tx, session, query, Columns, "labels l", sql, r => Read(r), cancellationToken);
        }, snapshot: true, cancellationToken);

    public async Task<bool> AttachAsync(string repository, Digest digest, long labelId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        await session.WriteAsync((c, tx) => ExecuteAsync(c, tx, """
            INSERT INTO artifact_labels (repository, digest, label_id, created_at) VALUES (@r, @d, @l, @t)
            ON CONFLICT (repository, digest, label_id) DO NOTHING
            """, cancellationToken, ("@r", repository), ("@d", digest.ToString()), ("@l", labelId), ("@t", now.ToUnixTimeMilliseconds())), cancellationToken) > 0;

    public async Task<bool> DetachAsync(string repository, Digest digest, long labelId, CancellationToken cancellationToken = default) =>
        await session.WriteAsync((c, tx) => ExecuteAsync(c, tx, "DELETE FROM artifact_labels WHERE repository = @r AND digest = @d AND label_id = @l",
            cancellationToken, ("@r", repository), ("@d", digest.ToString()), ("@l", labelId)), cancellationToken) > 0;
}
