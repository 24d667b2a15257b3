using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Registry.Grains.Abstractions;
using Registry.Grains.Policies;
using static Registry.Grains.Metadata.SqlSession;

namespace Registry.Grains.Metadata;

/// <summary>A tag as the bin keeps it, so that a restore puts back its push and pull times too.</summary>
public sealed record BinTag(string Name, long UpdatedAt, long? PulledAt);

/// <summary>One entry of a project's recycle bin: an artifact deleted by digest, with what its deletion took along.</summary>
public sealed record RecycleBinRecord(
    long Id,
    long ProjectId,
    string Repository,
    Digest Digest,
    string MediaType,
    string? ArtifactType,
    long Size,
    IReadOnlyList<string> Tags,
    string DeletedBy,
    DateTimeOffset DeletedAt,
    DateTimeOffset ExpiresAt,
    int Accessories);

/// <summary>What a restore put back, for the repository grain to take into memory; or why it did not.</summary>
public sealed record BinRestore(
    RestoreStatus Status,
    string? Detail,
    IReadOnlyList<ManifestEntry> Manifests,
    IReadOnlyDictionary<string, Digest> Tags,
    IReadOnlyDictionary<Digest, long> Blobs)
{
    public static BinRestore Refused(RestoreStatus status, string detail) =>
        new(status, detail, [], new Dictionary<string, Digest>(), new Dictionary<Digest, long>());
}

/// <summary>Reads and purges of the recycle bin; moving into it and restoring from it go through <see cref="IRepositoryStore"/>.</summary>
public interface IRecycleBinStore
{
    /// <summary>The project's top-level entries (not the accessories and index children deleted with them).</summary>
    Task<Page<RecycleBinRecord>> ListAsync(long projectId, ListQuery query, CancellationToken cancellationToken = default);

    Task<RecycleBinRecord?> GetAsync(long projectId, long id, CancellationToken cancellationToken = default);

    /// <summary>Purges one top-level entry with what was deleted with it, or (no id) the whole bin of the project; returns the entries removed.</summary>
    Task<int> PurgeAsync(long projectId, long? id, CancellationToken cancellationToken = default);

    /// <summary>Purges every entry that expired at or before <paramref name="now"/>, in every project.</summary>
    Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default);
}

/// <summary>
/// The recycle bin's SQL, the same for both databases, run inside the repository stores' own
/// transactions (<see cref="MoveAsync"/>, <see cref="RestoreAsync"/>) or on a <see cref="SqlSession"/>
/// (listing and purging). The rows of <c>manifests</c>, <c>tags</c> and <c>manifest_references</c>
/// move to <c>recycle_bin</c> and <c>recycle_bin_references</c>; the blobs stay where they are, and
/// GC keeps every blob a bin entry references, so a restore needs no bytes copied.
/// </summary>
public static class RecycleBinSql
{
    /// <summary>The setting (days; 0 = deleted artifacts skip the bin) read inside the delete transaction, so every node agrees.</summary>
    public const string RetentionSetting = "recycle_bin_retention_days";
    public const int DefaultRetentionDays = 7;

    private sealed record Row(long Id, long? ParentId, string Digest, string MediaType, string? ArtifactType, string? Subject, string? Annotations,
        long Size, byte[] Content, long CreatedAt, long? PulledAt, string Tags);

    private sealed class RestoreRefused(BinRestore result) : Exception(result.Detail)
    {
        public BinRestore Result => result;
    }

    public static async Task<int> RetentionDaysAsync(DbConnection c, DbTransaction? tx, CancellationToken cancellationToken)
    {
        var value = await ScalarAsync(c, tx, "SELECT value FROM settings WHERE name = @n", cancellationToken, ("@n", RetentionSetting)) as string;
        return int.TryParse(value?.Trim().Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var days) ? days : DefaultRetentionDays;
    }

    /// <summary>
    /// Moves <paramref name="digests"/> (the deleted artifact first, then what goes with it) out of
    /// the repository in the caller's transaction: one bin entry each, the first the parent of the
    /// others, and one DELETE_ARTIFACT event for the first. With a retention of 0 days the rows are
    /// deleted without a bin entry. Digests not stored are skipped.
    /// </summary>
    public static async Task MoveAsync(DbConnection c, DbTransaction tx, string repository, IReadOnlyList<Digest> digests, string @operator,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var days = await RetentionDaysAsync(c, tx, cancellationToken);
        var project = RepositoryName.ProjectOf(repository);
        var projectId = Convert.ToInt64(await ScalarAsync(c, tx, "SELECT id FROM projects WHERE name = @p", cancellationToken, ("@p", project)) ?? 0L,
            CultureInfo.InvariantCulture);
        long? parent = null;
        RegistryEvent? deleted = null;
        foreach (var digest in digests.Distinct())
        {
            var d = digest.ToString();
            var row = await QuerySingleAsync(c, tx, """
                SELECT media_type, artifact_type, subject, annotations, size, content, created_at, pulled_at
                FROM manifests WHERE repository = @r AND digest = @d
                """, r => new Row(0, null, d, r.GetString(0), r.NullableString(1), r.NullableString(2), r.NullableString(3), r.Long(4),
                    (byte[])r.GetValue(5), r.Long(6), r.NullableLong(7), ""), cancellationToken, ("@r", repository), ("@d", d));
            if (row is null) continue;
            var tags = await QueryAsync(c, tx, "SELECT name, updated_at, pulled_at FROM tags WHERE repository = @r AND digest = @d ORDER BY name",
                r => new BinTag(r.GetString(0), r.Long(1), r.NullableLong(2)), cancellationToken, ("@r", repository), ("@d", d));
            var references = await QueryAsync(c, tx, "SELECT reference FROM manifest_references WHERE repository = @r AND manifest = @d",
                r => r.GetString(0), cancellationToken, ("@r", repository), ("@d", d));

            // What only this artifact held stops counting against the project's quota (its references still exist here).
            await QuotaSql.ReleaseAsync(c, tx, repository, digest, cancellationToken);

            if (days > 0)
            {
                var id = Convert.ToInt64(await ScalarAsync(c, tx, """
                    INSERT INTO recycle_bin (parent_id, project_id, repository, digest, media_type, artifact_type, subject, annotations, size,
                        content, created_at, pulled_at, tags, deleted_by, deleted_at, expires_at)
                    VALUES (@parent, @project, @r, @d, @mt, @at, @s, @a, @size, @content, @created, @pulled, @tags, @by, @now, @expires)
                    RETURNING id
                    """, cancellationToken, ("@parent", parent), ("@project", projectId), ("@r", repository), ("@d", d), ("@mt", row.MediaType),
                    ("@at", row.ArtifactType), ("@s", row.Subject), ("@a", row.Annotations), ("@size", row.Size), ("@content", row.Content),
                    ("@created", row.CreatedAt), ("@pulled", row.PulledAt), ("@tags", JsonSerializer.Serialize(tags)), ("@by", @operator),
                    ("@now", now.ToUnixTimeMilliseconds()), ("@expires", now.AddDays(days).ToUnixTimeMilliseconds())), CultureInfo.InvariantCulture);
                parent ??= id;
                foreach (var reference in references)
                {
                    await ExecuteAsync(c, tx, "INSERT INTO recycle_bin_references (bin_id, reference) VALUES (@id, @ref) ON CONFLICT DO NOTHING",
                        cancellationToken, ("@id", id), ("@ref", reference));
                }
            }
            await ExecuteAsync(c, tx, "DELETE FROM tags WHERE repository = @r AND digest = @d", cancellationToken, ("@r", repository), ("@d", d));
            await ExecuteAsync(c, tx, "DELETE FROM manifest_references WHERE repository = @r AND manifest = @d", cancellationToken, ("@r", repository), ("@d", d));
            await ExecuteAsync(c, tx, "DELETE FROM manifests WHERE repository = @r AND digest = @d", cancellationToken, ("@r", repository), ("@d", d));
            deleted ??= new RegistryEvent(EventTypes.DeleteArtifact, now, @operator, projectId, project, repository, d,
                [.. tags.Select(t => t.Name)], row.MediaType, row.Size);
        }
        if (deleted is not null) await ExecuteAsync(c, tx, IOutbox.Insert, cancellationToken, IOutbox.Parameters(deleted));
    }

    /// <summary>
    /// Puts bin entry <paramref name="id"/> (a top-level one) and what was deleted with it back into
    /// <paramref name="repository"/> in the caller's transaction: manifests with their times,
    /// references and tags; the blobs they reference linked to the repository again. Refused,
    /// writing nothing, when a digest is stored again, a tag now names another artifact, or
    /// something referenced is no longer stored.
    /// </summary>
    public static async Task<BinRestore> RestoreAsync(DbConnection c, DbTransaction tx, string repository, long id, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var entries = await QueryAsync(c, tx, """
            SELECT id, parent_id, digest, media_type, artifact_type, subject, annotations, size, content, created_at, pulled_at, tags
            FROM recycle_bin WHERE repository = @r AND (id = @id OR parent_id = @id) ORDER BY id
            """, r => new Row(r.Long(0), r.NullableLong(1), r.GetString(2), r.GetString(3), r.NullableString(4), r.NullableString(5),
                r.NullableString(6), r.Long(7), (byte[])r.GetValue(8), r.Long(9), r.NullableLong(10), r.GetString(11)),
            cancellationToken, ("@r", repository), ("@id", id));
        if (entries.Count == 0 || entries[0].Id != id || entries[0].ParentId is not null)
            return BinRestore.Refused(RestoreStatus.NotFound, $"recycle bin entry {id} not found in {repository}");

        var digests = entries.Select(e => e.Digest).ToHashSet(StringComparer.Ordinal);
        var tags = new Dictionary<string, (Row Entry, BinTag Tag)>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (await ScalarAsync(c, tx, "SELECT 1 FROM manifests WHERE repository = @r AND digest = @d", cancellationToken, ("@r", repository), ("@d", entry.Digest)) is not null)
                return BinRestore.Refused(RestoreStatus.Conflict, $"artifact {repository}@{entry.Digest} exists again; delete it before restoring");
            foreach (var tag in JsonSerializer.Deserialize<List<BinTag>>(entry.Tags) ?? [])
            {
                var current = await ScalarAsync(c, tx, "SELECT digest FROM tags WHERE repository = @r AND name = @t", cancellationToken, ("@r", repository), ("@t", tag.Name));
                if (current is string other)
                    return BinRestore.Refused(RestoreStatus.Conflict, $"tag {tag.Name} of {repository} now names {other}; delete or move it before restoring");
                tags[tag.Name] = (entry, tag);
            }
        }

        var references = await QueryAsync(c, tx, """
            SELECT bin_id, reference FROM recycle_bin_references
            WHERE bin_id IN (SELECT id FROM recycle_bin WHERE id = @id OR parent_id = @id)
            """, r => (BinId: r.Long(0), Reference: r.GetString(1)), cancellationToken, ("@id", id));
        var blobs = new Dictionary<Digest, long>();
        foreach (var reference in references.Select(r => r.Reference).Distinct(StringComparer.Ordinal))
        {
            if (digests.Contains(reference)) continue;
            if (await ScalarAsync(c, tx, "SELECT 1 FROM manifests WHERE repository = @r AND digest = @d", cancellationToken, ("@r", repository), ("@d", reference)) is not null)
                continue;
            var size = await ScalarAsync(c, tx, "SELECT size FROM blobs WHERE digest = @d", cancellationToken, ("@d", reference));
            if (size is null)
                return BinRestore.Refused(RestoreStatus.Gone, $"{reference}, which the artifact references, is no longer stored; it cannot be restored");
            blobs[Digest.Parse(reference)] = Convert.ToInt64(size, CultureInfo.InvariantCulture);
        }

        // Restored artifacts count against the quota again; a refusal rolls back everything charged so far.
        foreach (var e in entries)
        {
            var held = await QuotaSql.BlobSizesAsync(c, tx, references.Where(r => r.BinId == e.Id).Select(r => Digest.Parse(r.Reference)), cancellationToken);
            try
            {
                await QuotaSql.ChargeAsync(c, tx, repository, Digest.Parse(e.Digest), e.Size, held, null, now, cancellationToken);
            }
            catch (QuotaExceededException exceeded)
            {
                throw new RestoreRefused(BinRestore.Refused(RestoreStatus.QuotaExceeded, exceeded.Message));
            }
        }

        var at = now.ToUnixTimeMilliseconds();
        await ExecuteAsync(c, tx, """
            INSERT INTO repositories (name, project, created_at, updated_at) VALUES (@r, @p, @now, @now)
            ON CONFLICT (name) DO UPDATE SET updated_at = @now
            """, cancellationToken, ("@r", repository), ("@p", RepositoryName.ProjectOf(repository)), ("@now", at));
        foreach (var (digest, size) in blobs)
        {
            await ExecuteAsync(c, tx, "INSERT INTO repository_blobs (repository, digest, size, created_at) VALUES (@r, @d, @s, @now) ON CONFLICT DO NOTHING",
                cancellationToken, ("@r", repository), ("@d", digest.ToString()), ("@s", size), ("@now", at));
        }
        var manifests = new List<ManifestEntry>();
        foreach (var e in entries)
        {
            await ExecuteAsync(c, tx, """
                INSERT INTO manifests (repository, digest, media_type, artifact_type, subject, annotations, size, content, created_at, pulled_at)
                VALUES (@r, @d, @mt, @at, @s, @a, @size, @content, @created, @pulled)
                """, cancellationToken, ("@r", repository), ("@d", e.Digest), ("@mt", e.MediaType), ("@at", e.ArtifactType), ("@s", e.Subject),
                ("@a", e.Annotations), ("@size", e.Size), ("@content", e.Content), ("@created", e.CreatedAt), ("@pulled", e.PulledAt));
            foreach (var reference in references.Where(r => r.BinId == e.Id))
            {
                await ExecuteAsync(c, tx, "INSERT INTO manifest_references (repository, manifest, reference) VALUES (@r, @m, @ref) ON CONFLICT DO NOTHING",
                    cancellationToken, ("@r", repository), ("@m", e.Digest), ("@ref", reference.Reference));
            }
            manifests.Add(new ManifestEntry(Digest.Parse(e.Digest), e.MediaType, e.Size, e.ArtifactType,
                e.Subject is null ? null : Digest.Parse(e.Subject),
                e.Annotations is null ? null : JsonSerializer.Deserialize<ImmutableDictionary<string, string>>(e.Annotations)));
        }
        foreach (var (name, (entry, tag)) in tags)
        {
            await ExecuteAsync(c, tx, "INSERT INTO tags (repository, name, digest, updated_at, pulled_at) VALUES (@r, @t, @d, @u, @p)",
                cancellationToken, ("@r", repository), ("@t", name), ("@d", entry.Digest), ("@u", tag.UpdatedAt), ("@p", tag.PulledAt));
        }
        await ExecuteAsync(c, tx, "DELETE FROM recycle_bin_references WHERE bin_id IN (SELECT id FROM recycle_bin WHERE id = @id OR parent_id = @id)",
            cancellationToken, ("@id", id));
        var removed = await ExecuteAsync(c, tx, "DELETE FROM recycle_bin WHERE id = @id OR parent_id = @id", cancellationToken, ("@id", id));
        // A purge that committed while this ran took the entry: undo everything written above.
        if (removed != entries.Count) throw new RestoreRefused(BinRestore.Refused(RestoreStatus.NotFound, $"recycle bin entry {id} was purged"));
        return new BinRestore(RestoreStatus.Restored, null, manifests,
            tags.ToDictionary(t => t.Key, t => Digest.Parse(t.Value.Entry.Digest), StringComparer.Ordinal), blobs);
    }

    /// <summary>Runs a restore in a write transaction of the caller's database, turning a refusal thrown to roll back into its result.</summary>
    public static async Task<BinRestore> RestoreInTransactionAsync(Func<Func<DbConnection, DbTransaction, Task<BinRestore>>, Task<BinRestore>> write,
        string repository, long id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            return await write((c, tx) => RestoreAsync(c, tx, repository, id, now, cancellationToken));
        }
        catch (RestoreRefused refused)
        {
            return refused.Result;
        }
    }

    /// <summary>
    /// The quota check of a restore: null to go on, or the refusal message. Until CORE's QuotaSql is
    /// merged no limit applies; wiring it is this one method.
    /// </summary>
    private const string Columns = """
        id, project_id, repository, digest, media_type, artifact_type, size, tags, deleted_by, deleted_at, expires_at,
        (SELECT count(*) FROM recycle_bin AS child WHERE child.parent_id = recycle_bin.id)
        """;

    private static readonly ListSpec List = new(
        new Dictionary<string, ListSpec.FilterBuilder>
        {
            ["repository_name"] = ListSpec.Text("repository"),
            ["digest"] = ListSpec.Text("digest"),
            ["deleted_by"] = ListSpec.Text("deleted_by"),
            ["media_type"] = ListSpec.Text("media_type"),
            ["deletion_time"] = ListSpec.Time("deleted_at"),
            ["expiration_time"] = ListSpec.Time("expires_at"),
        },
        new Dictionary<string, string>
        {
            ["repository_name"] = "repository", ["digest"] = "digest", ["size"] = "size", ["deleted_by"] = "deleted_by",
            ["deletion_time"] = "deleted_at", ["expiration_time"] = "expires_at",
        },
        "deleted_at DESC, id DESC", "id");

    private static RecycleBinRecord Read(DbDataReader r) => new(
        r.Long(0), r.Long(1), r.GetString(2), Digest.Parse(r.GetString(3)), r.GetString(4), r.NullableString(5), r.Long(6),
        [.. (JsonSerializer.Deserialize<List<BinTag>>(r.GetString(7)) ?? []).Select(t => t.Name)],
        r.GetString(8), r.Time(9), r.Time(10), r.Int(11));

    internal static Task<Page<RecycleBinRecord>> ListAsync(SqlSession session, long projectId, ListQuery query, CancellationToken cancellationToken) =>
        session.ReadAsync((c, tx) =>
        {
            var sql = new SqlConditions();
            sql.Where($"project_id = {sql.Parameter(projectId)}").Where("parent_id IS NULL");
            return List.PageAsync(c, tx, session, query, Columns, "recycle_bin", sql, Read, cancellationToken);
        }, snapshot: true, cancellationToken);

    internal static Task<RecycleBinRecord?> GetAsync(SqlSession session, long projectId, long id, CancellationToken cancellationToken) =>
        session.ReadAsync((c, tx) => QuerySingleAsync(c, tx, $"SELECT {Columns} FROM recycle_bin WHERE project_id = @p AND id = @id AND parent_id IS NULL",
            Read, cancellationToken, ("@p", projectId), ("@id", id)), snapshot: false, cancellationToken);

    internal static Task<int> PurgeAsync(SqlSession session, string condition, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        session.WriteAsync(async (c, tx) =>
        {
            // Entries deleted along with a purged one go with it, whatever their own expiry.
            var ids = await QueryAsync(c, tx, $"SELECT id FROM recycle_bin WHERE parent_id IS NULL AND {condition}", r => r.Long(0), cancellationToken, parameters);
            var removed = 0;
            foreach (var id in ids)
            {
                await ExecuteAsync(c, tx, "DELETE FROM recycle_bin_references WHERE bin_id IN (SELECT id FROM recycle_bin WHERE id = @id OR parent_id = @id)",
                    cancellationToken, ("@id", id));
                removed += await ExecuteAsync(c, tx, "DELETE FROM recycle_bin WHERE id = @id OR parent_id = @id", cancellationToken, ("@id", id));
            }
            return removed;
        }, cancellationToken);
}

/// <summary>The recycle bin's reads and purges on either database.</summary>
internal sealed class SqlRecycleBinStore(SqlSession session) : IRecycleBinStore
{
    public Task<Page<RecycleBinRecord>> ListAsync(long projectId, ListQuery query, CancellationToken cancellationToken = default) =>
        RecycleBinSql.ListAsync(session, projectId, query, cancellationToken);

    public Task<RecycleBinRecord?> GetAsync(long projectId, long id, CancellationToken cancellationToken = default) =>
        RecycleBinSql.GetAsync(session, projectId, id, cancellationToken);

    public Task<int> PurgeAsync(long projectId, long? id, CancellationToken cancellationToken = default) => id is { } one
        ? RecycleBinSql.PurgeAsync(session, "project_id = @p AND id = @id", cancellationToken, ("@p", projectId), ("@id", one))
        : RecycleBinSql.PurgeAsync(session, "project_id = @p", cancellationToken, ("@p", projectId));

    public Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        RecycleBinSql.PurgeAsync(session, "expires_at <= @now", cancellationToken, ("@now", now.ToUnixTimeMilliseconds()));
}
