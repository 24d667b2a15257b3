using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Registry.Grains.Abstractions;
using Registry.Grains.Policies;
using static Registry.Grains.Metadata.SqliteDatabase;

namespace Registry.Grains.Metadata;

/// <summary>Repository metadata and listings on SQLite.</summary>
public sealed class SqliteRepositoryStore(SqliteDatabase db, TimeProvider clock) : IRepositoryStore, IListingStore
{
    public async Task<RepositorySnapshot> LoadAsync(string repository, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken);
        var exists = await ExistsAsync(c, tx, repository, cancellationToken);

        var manifests = new List<ManifestEntry>();
        await using (var cmd = Command(c, tx, "SELECT digest, media_type, size, artifact_type, subject, annotations FROM manifests WHERE repository = $r", ("$r", repository)))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                manifests.Add(new ManifestEntry(
                    Digest.Parse(reader.GetString(0)), reader.GetString(1), reader.GetInt64(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.IsDBNull(4) ? null : Digest.Parse(reader.GetString(4)),
                    reader.IsDBNull(5) ? null : JsonSerializer.Deserialize<ImmutableDictionary<string, string>>(reader.GetString(5))));
            }
        }

        var tags = new Dictionary<string, Digest>(StringComparer.Ordinal);
        await using (var cmd = Command(c, tx, "SELECT name, digest FROM tags WHERE repository = $r", ("$r", repository)))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) tags[reader.GetString(0)] = Digest.Parse(reader.GetString(1));
        }

        var blobs = new Dictionary<Digest, long>();
        await using (var cmd = Command(c, tx, "SELECT digest, size FROM repository_blobs WHERE repository = $r", ("$r", repository)))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) blobs[Digest.Parse(reader.GetString(0))] = reader.GetInt64(1);
        }
        return new RepositorySnapshot(exists, manifests, tags, blobs);
    }

    public async Task<byte[]?> GetManifestContentAsync(string repository, Digest digest, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = Command(c, null, "SELECT content FROM manifests WHERE repository = $r AND digest = $d", ("$r", repository), ("$d", digest.ToString()));
        return await cmd.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public Task SaveManifestAsync(ManifestRecord m, string? tag, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async (c, tx) =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var repository = m.Repository;
            await ExecuteAsync(c, tx, """
                INSERT INTO repositories (name, project, created_at, updated_at) VALUES ($r, $p, $now, $now)
                ON CONFLICT (name) DO UPDATE SET updated_at = $now
                """, cancellationToken, ("$r", repository), ("$p", RepositoryName.ProjectOf(repository)), ("$now", now));
            var inserted = await ExecuteAsync(c, tx, """
                INSERT INTO manifests (repository, digest, media_type, artifact_type, subject, annotations, size, content, created_at)
                VALUES ($r, $d, $mt, $at, $s, $a, $size, $content, $now) ON CONFLICT DO NOTHING
                """, cancellationToken, ("$r", repository), ("$d", m.Digest.ToString()), ("$mt", m.MediaType), ("$at", m.ArtifactType),
                ("$s", m.Subject?.ToString()), ("$a", m.Annotations is null ? null : JsonSerializer.Serialize(m.Annotations)),
                ("$size", m.Size), ("$content", m.Content), ("$now", now));
            if (inserted > 0)
            {
                foreach (var reference in m.References.Distinct())
                {
                    await ExecuteAsync(c, tx, "INSERT INTO manifest_references (repository, manifest, reference) VALUES ($r, $m, $ref) ON CONFLICT DO NOTHING",
                        cancellationToken, ("$r", repository), ("$m", m.Digest.ToString()), ("$ref", reference.ToString()));
                }
                var blobs = await QuotaSql.BlobSizesAsync(c, tx, m.References.Where(r => r != m.Digest), cancellationToken);
                await QuotaSql.ChargeAsync(c, tx, repository, m.Digest, m.Size, blobs, m.Operator, clock.GetUtcNow(), cancellationToken);
            }
            if (tag is not null)
            {
                await ExecuteAsync(c, tx, """
                    INSERT INTO tags (repository, name, digest, updated_at) VALUES ($r, $t, $d, $now)
                    ON CONFLICT (repository, name) DO UPDATE SET digest = excluded.digest, updated_at = $now
                    """, cancellationToken, ("$r", repository), ("$t", tag), ("$d", m.Digest.ToString()), ("$now", now));
            }
            if (await QuotaSql.ProjectIdAsync(c, tx, RepositoryName.ProjectOf(repository), cancellationToken) is { } projectId)
            {
                var pushed = new RegistryEvent(EventTypes.PushArtifact, clock.GetUtcNow(), m.Operator ?? "", projectId, RepositoryName.ProjectOf(repository),
                    repository, m.Digest.ToString(), tag is null ? [] : [tag], m.MediaType, m.Size);
                await ExecuteAsync(c, tx, IOutbox.Insert, cancellationToken, IOutbox.Parameters(pushed));
            }
            return 0;
        }, cancellationToken);

    public Task DeleteManifestsAsync(string repository, IReadOnlyList<Digest> digests, string @operator, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async (c, tx) =>
        {
            await RecycleBinSql.MoveAsync(c, tx, repository, digests, @operator, clock.GetUtcNow(), cancellationToken);
            return 0;
        }, cancellationToken);

    public Task<BinRestore> RestoreAsync(string repository, long binId, CancellationToken cancellationToken = default) =>
        RecycleBinSql.RestoreInTransactionAsync(work => db.WriteAsync((c, tx) => work(c, tx), cancellationToken),
            repository, binId, clock.GetUtcNow(), cancellationToken);

    public Task DeleteTagAsync(string repository, string tag, CancellationToken cancellationToken = default) =>
        db.WriteAsync((c, tx) => ExecuteAsync(c, tx, "DELETE FROM tags WHERE repository = $r AND name = $t", cancellationToken, ("$r", repository), ("$t", tag)), cancellationToken);

    /// <summary>
    /// Links the blob and records the time of this link (the garbage collector's window starts
    /// from it, re-links included); false, linking nothing, when the collector has marked the blob
    /// for deletion.
    /// </summary>
    public Task<bool> LinkBlobAsync(string repository, Digest digest, long size, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async (c, tx) =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await using (var upsert = Command(c, tx, """
                INSERT INTO blobs (digest, size, created_at, last_linked_at) VALUES ($d, $s, $now, $now)
                ON CONFLICT (digest) DO UPDATE SET last_linked_at = excluded.last_linked_at WHERE blobs.deleting = 0
                RETURNING digest
                """, ("$d", digest.ToString()), ("$s", size), ("$now", now)))
            {
                if (await upsert.ExecuteScalarAsync(cancellationToken) is null) return false;
            }
            await ExecuteAsync(c, tx, "INSERT INTO repository_blobs (repository, digest, size, created_at) VALUES ($r, $d, $s, $now) ON CONFLICT DO NOTHING",
                cancellationToken, ("$r", repository), ("$d", digest.ToString()), ("$s", size), ("$now", now));
            return true;
        }, cancellationToken);

    public Task UnlinkBlobAsync(string repository, Digest digest, CancellationToken cancellationToken = default) =>
        db.WriteAsync((c, tx) => ExecuteAsync(c, tx, "DELETE FROM repository_blobs WHERE repository = $r AND digest = $d",
            cancellationToken, ("$r", repository), ("$d", digest.ToString())), cancellationToken);

    public Task<bool> DeleteIfEmptyAsync(string repository, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async (c, tx) => await ExecuteAsync(c, tx, """
            DELETE FROM repositories WHERE name = $r
              AND NOT EXISTS (SELECT 1 FROM manifests WHERE repository = $r)
              AND NOT EXISTS (SELECT 1 FROM repository_blobs WHERE repository = $r)
            """, cancellationToken, ("$r", repository)) > 0, cancellationToken);

    /// <summary>The garbage collector's unlink: false, unlinking nothing, while a manifest of the repository references the blob.</summary>
    public Task<bool> UnlinkUnreferencedBlobAsync(string repository, Digest digest, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async (c, tx) =>
        {
            await using (var referenced = Command(c, tx, "SELECT 1 FROM manifest_references WHERE repository = $r AND reference = $d",
                ("$r", repository), ("$d", digest.ToString())))
            {
                if (await referenced.ExecuteScalarAsync(cancellationToken) is not null) return false;
            }
            await ExecuteAsync(c, tx, "DELETE FROM repository_blobs WHERE repository = $r AND digest = $d",
                cancellationToken, ("$r", repository), ("$d", digest.ToString()));
            return true;
        }, cancellationToken);

    public async Task<bool> RepositoryExistsAsync(string repository, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return await ExistsAsync(c, null, repository, cancellationToken);
    }

    public Task<IReadOnlyList<string>> ListTagsAsync(string repository, string? last, int limit, CancellationToken cancellationToken = default) =>
        ListAsync("SELECT name FROM tags WHERE repository = $r AND name > $last ORDER BY name LIMIT $n",
            limit, cancellationToken, ("$r", repository), ("$last", last ?? ""), ("$n", limit));

    public Task<IReadOnlyList<string>> ListRepositoriesAsync(string? last, int limit, CancellationToken cancellationToken = default) =>
        ListAsync("SELECT name FROM repositories WHERE name > $last ORDER BY name LIMIT $n",
            limit, cancellationToken, ("$last", last ?? ""), ("$n", limit));

    private async Task<IReadOnlyList<string>> ListAsync(string sql, int limit, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = Command(c, null, sql, parameters);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var names = new List<string>(Math.Min(limit, 256));
        while (await reader.ReadAsync(cancellationToken)) names.Add(reader.GetString(0));
        return names;
    }

    private static async Task<bool> ExistsAsync(SqliteConnection c, SqliteTransaction? tx, string repository, CancellationToken cancellationToken)
    {
        await using var cmd = Command(c, tx, "SELECT 1 FROM repositories WHERE name = $r", ("$r", repository));
        return await cmd.ExecuteScalarAsync(cancellationToken) is not null;
    }
}
