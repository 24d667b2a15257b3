using static Registry.Grains.Metadata.PostgresDatabase;

namespace Registry.Grains.Metadata;

/// <summary>Projects, users, upload sessions and shared secrets on PostgreSQL, as <see cref="SqliteAccountStore"/>.</summary>
public sealed class PostgresAccountStore(PostgresDatabase db, TimeProvider clock) : IAccountStore, IUploadStore
{
    /// <summary>Projects and users are the identity store's, whose rows these read and write.</summary>
    private readonly SqlIdentityStore _identity = new(new PostgresSession(db), clock);

    public Task<ProjectRecord?> GetProjectAsync(string name, CancellationToken cancellationToken = default) =>
        _identity.GetProjectAsync(name, cancellationToken);

    /// <summary>Creates the project owned by the admin (user 1), or sets the visibility of the one that exists.</summary>
    public Task UpsertProjectAsync(string name, bool isPublic, CancellationToken cancellationToken = default) =>
        _identity.UpsertProjectAsync(name, isPublic, cancellationToken);

    public Task<UserRecord?> GetUserAsync(string username, CancellationToken cancellationToken = default) =>
        _identity.GetUserAsync(username, cancellationToken);

    /// <summary>False too when the name differs from an existing user's only in case.</summary>
    public async Task<bool> TryCreateUserAsync(string username, string passwordHash, bool sysAdmin, CancellationToken cancellationToken = default) =>
        await _identity.CreateUserAsync(new NewUser(username, passwordHash, sysAdmin, "", "", ""), cancellationToken) is not null;

    public Task PingAsync(CancellationToken cancellationToken = default) =>
        db.ReadAsync(async c =>
        {
            await using var cmd = Command(c, null, "SELECT count(*) FROM projects");
            return await cmd.ExecuteScalarAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Inserts <paramref name="candidate"/> unless the name exists, then reads the stored value. In
    /// read-committed mode an insert racing another node's waits for it to commit and does nothing,
    /// and the SELECT that follows (a new snapshot) sees the winner's value.
    /// </summary>
    public Task<string> GetOrAddSecretAsync(string name, string candidate, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async (c, tx) =>
        {
            await ExecuteAsync(c, tx, "INSERT INTO secrets (name, value, created_at) VALUES (@n, @v, @now) ON CONFLICT (name) DO NOTHING",
                cancellationToken, ("@n", name), ("@v", candidate), ("@now", clock.GetUtcNow().ToUnixTimeMilliseconds()));
            await using var cmd = Command(c, tx, "SELECT value FROM secrets WHERE name = @n", ("@n", name));
            return (string)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);

    Task IUploadStore.CreateAsync(UploadRecord upload, CancellationToken cancellationToken) =>
        db.WriteAsync((c, tx) => ExecuteAsync(c, tx, "INSERT INTO uploads (id, repository, started_at) VALUES (@id, @r, @t)",
            cancellationToken, ("@id", upload.Id), ("@r", upload.Repository), ("@t", upload.StartedAt.ToUnixTimeMilliseconds())), cancellationToken);

    Task<UploadRecord?> IUploadStore.GetAsync(string id, CancellationToken cancellationToken) =>
        db.ReadAsync<UploadRecord?>(async c =>
        {
            await using var cmd = Command(c, null, "SELECT repository, started_at, committed FROM uploads WHERE id = @id", ("@id", id));
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return null;
            return new UploadRecord(id, reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.IsDBNull(2) ? null : reader.GetString(2));
        }, cancellationToken);

    Task IUploadStore.DeleteAsync(string id, CancellationToken cancellationToken) =>
        db.WriteAsync((c, tx) => ExecuteAsync(c, tx, "DELETE FROM uploads WHERE id = @id", cancellationToken, ("@id", id)), cancellationToken);

    Task IUploadStore.SetCommittedAsync(string id, string digest, CancellationToken cancellationToken) =>
        db.WriteAsync((c, tx) => ExecuteAsync(c, tx, "UPDATE uploads SET committed = @d WHERE id = @id", cancellationToken, ("@id", id), ("@d", digest)), cancellationToken);

    Task<IReadOnlyList<UploadRecord>> IUploadStore.ListStartedBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken) =>
        db.ReadAsync<IReadOnlyList<UploadRecord>>(async c =>
        {
            await using var cmd = Command(c, null, "SELECT id, repository, started_at FROM uploads WHERE started_at < @t ORDER BY started_at LIMIT @n",
                ("@t", cutoff.ToUnixTimeMilliseconds()), ("@n", limit));
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            var uploads = new List<UploadRecord>();
            while (await reader.ReadAsync(cancellationToken))
                uploads.Add(new UploadRecord(reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
            return uploads;
        }, cancellationToken);
}
