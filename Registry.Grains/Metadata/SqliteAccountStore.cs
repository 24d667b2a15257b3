using static Registry.Grains.Metadata.SqliteDatabase;

namespace Registry.Grains.Metadata;

/// <summary>Projects, users and upload sessions on SQLite.</summary>
public sealed class SqliteAccountStore(SqliteDatabase db, TimeProvider clock) : IAccountStore, IUploadStore
{
    public async Task<ProjectRecord?> GetProjectAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = Command(c, null, "SELECT name, public, created_at FROM projects WHERE name = $n", ("$n", name));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        var created = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2));
        return new ProjectRecord(0, reader.GetString(0), reader.GetInt64(1) != 0, 0, "", -1, created, created);
    }

    public Task UpsertProjectAsync(string name, bool isPublic, CancellationToken cancellationToken = default) =>
        db.WriteAsync((c, tx) => ExecuteAsync(c, tx, """
            INSERT INTO projects (name, public, created_at) VALUES ($n, $p, $now)
            ON CONFLICT (name) DO UPDATE SET public = excluded.public
            """, cancellationToken, ("$n", name), ("$p", isPublic ? 1 : 0), ("$now", clock.GetUtcNow().ToUnixTimeMilliseconds())), cancellationToken);

    public async Task<UserRecord?> GetUserAsync(string username, CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = Command(c, null, "SELECT id, username, password_hash, sysadmin FROM users WHERE username = $u", ("$u", username));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new UserRecord(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3) != 0, "", "", "", "db", default, default);
    }

    public async Task<bool> TryCreateUserAsync(string username, string passwordHash, bool sysAdmin, CancellationToken cancellationToken = default) =>
        await db.WriteAsync((c, tx) => ExecuteAsync(c, tx, """
            INSERT INTO users (username, password_hash, sysadmin, created_at) VALUES ($u, $h, $a, $now) ON CONFLICT (username) DO NOTHING
            """, cancellationToken, ("$u", username), ("$h", passwordHash), ("$a", sysAdmin ? 1 : 0), ("$now", clock.GetUtcNow().ToUnixTimeMilliseconds())),
            cancellationToken) > 0;

    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = Command(c, null, "SELECT count(*) FROM projects");
        await cmd.ExecuteScalarAsync(cancellationToken);
    }

    public Task<string> GetOrAddSecretAsync(string name, string candidate, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async (c, tx) =>
        {
            await ExecuteAsync(c, tx, "INSERT INTO secrets (name, value, created_at) VALUES ($n, $v, $now) ON CONFLICT (name) DO NOTHING",
                cancellationToken, ("$n", name), ("$v", candidate), ("$now", clock.GetUtcNow().ToUnixTimeMilliseconds()));
            await using var cmd = Command(c, tx, "SELECT value FROM secrets WHERE name = $n", ("$n", name));
            return (string)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);

    Task IUploadStore.CreateAsync(UploadRecord upload, CancellationToken cancellationToken) =>
        db.WriteAsync((c, tx) => ExecuteAsync(c, tx, "INSERT INTO uploads (id, repository, started_at) VALUES ($id, $r, $t)",
            cancellationToken, ("$id", upload.Id), ("$r", upload.Repository), ("$t", upload.StartedAt.ToUnixTimeMilliseconds())), cancellationToken);

    async Task<UploadRecord?> IUploadStore.GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = Command(c, null, "SELECT repository, started_at FROM uploads WHERE id = $id", ("$id", id));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new UploadRecord(id, reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
    }

    Task IUploadStore.DeleteAsync(string id, CancellationToken cancellationToken) =>
        db.WriteAsync((c, tx) => ExecuteAsync(c, tx, "DELETE FROM uploads WHERE id = $id", cancellationToken, ("$id", id)), cancellationToken);

    async Task<IReadOnlyList<UploadRecord>> IUploadStore.ListStartedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        await using var cmd = Command(c, null, "SELECT id, repository, started_at FROM uploads WHERE started_at < $t ORDER BY started_at LIMIT $n",
            ("$t", cutoff.ToUnixTimeMilliseconds()), ("$n", limit));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var uploads = new List<UploadRecord>();
        while (await reader.ReadAsync(cancellationToken))
            uploads.Add(new UploadRecord(reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
        return uploads;
    }
}
