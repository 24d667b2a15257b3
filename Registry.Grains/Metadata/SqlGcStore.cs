using System.Data.Common;
using System.Text.Json;
using Registry.Grains.Abstractions;
using static Registry.Grains.Metadata.SqlSession;

namespace Registry.Grains.Metadata;

/// <summary>A blob the garbage collector may delete: unreferenced and not linked within the window.</summary>
public sealed record GcCandidate(Digest Digest, long Size);

/// <summary>One run of the garbage collector, as its history shows it.</summary>
public sealed record GcRunRecord(
    long Id, string JobKind, string Status, bool DryRun, bool DeleteUntagged, int Workers, int TimeWindowHours,
    long BlobsDeleted, long BytesFreed, long ManifestsDeleted, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? EndedAt);

/// <summary>The stored GC schedule: Harbor's schedule object, the job parameters and when it next fires.</summary>
public sealed record GcScheduleRecord(
    string Type, string? Cron, bool DryRun, bool DeleteUntagged, int Workers, int TimeWindowHours,
    DateTimeOffset? NextRunAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// The garbage collector's view of the metadata: what is reachable, the deletion marker, the run
/// history and the schedule. Reachable means referenced by a manifest (layers, configs, index
/// children, subjects), by an artifact in a recycle bin, or being a manifest itself.
/// </summary>
public interface IGcStore
{
    /// <summary>Unreachable blobs last linked before <paramref name="cutoff"/>, by digest after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<GcCandidate>> ListCandidatesAsync(DateTimeOffset cutoff, string? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>Marks the blob <c>deleting</c> in one statement, only if it is still unreachable and not linked since <paramref name="cutoff"/>.</summary>
    Task<bool> MarkAsync(Digest digest, DateTimeOffset cutoff, CancellationToken cancellationToken = default);

    Task UnmarkAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>The repositories linking the blob.</summary>
    Task<IReadOnlyList<string>> ListLinksAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Deletes the row of a marked blob whose bytes are gone.</summary>
    Task DeleteMarkedAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Untagged manifests that are no index's child in their repository and refer to no subject (not referrers or accessories).</summary>
    Task<IReadOnlyList<(string Repository, Digest Digest)>> ListUntaggedAsync(CancellationToken cancellationToken = default);

    Task<long> CreateRunAsync(string jobKind, bool dryRun, bool deleteUntagged, int workers, int timeWindowHours, CancellationToken cancellationToken = default);

    Task UpdateRunAsync(long id, string status, long blobsDeleted, long bytesFreed, long manifestsDeleted, string log, bool ended, CancellationToken cancellationToken = default);

    /// <summary>Runs left Pending or Running by a process that stopped are marked Error.</summary>
    Task<int> FailInterruptedAsync(CancellationToken cancellationToken = default);

    Task<GcRunRecord?> GetRunAsync(long id, CancellationToken cancellationToken = default);

    Task<string?> GetRunLogAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Newest first.</summary>
    Task<(IReadOnlyList<GcRunRecord> Runs, long Total)> ListRunsAsync(int offset, int limit, CancellationToken cancellationToken = default);

    Task<GcScheduleRecord?> GetScheduleAsync(CancellationToken cancellationToken = default);

    Task SaveScheduleAsync(GcScheduleRecord schedule, CancellationToken cancellationToken = default);
}

/// <summary><see cref="IGcStore"/> in the SQL both databases accept.</summary>
internal sealed class SqlGcStore(SqlSession session, TimeProvider clock) : IGcStore
{
    private const string ScheduleSetting = "gc_schedule";

    /// <summary>The recycle bin's references count as reachable once its table exists (it arrives with the recycle bin's migration).</summary>
    private const string Unreachable = """
        NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.reference = b.digest)
        AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = b.digest)
        """;

    private const string NotInBin = " AND NOT EXISTS (SELECT 1 FROM recycle_bin_references x WHERE x.reference = b.digest)";

    private const string RunColumns = "id, job_kind, status, dry_run, delete_untagged, workers, time_window, blobs_deleted, bytes_freed, manifests_deleted, created_at, updated_at, ended_at";

    private bool? _hasBin;

    private async Task<string> ReachabilityAsync(DbConnection c, DbTransaction? tx, CancellationToken cancellationToken)
    {
        if (_hasBin != true)
        {
            var sql = session is SqliteSession
                ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'recycle_bin_references'"
                : "SELECT to_regclass('recycle_bin_references')::text";
            _hasBin = await ScalarAsync(c, tx, sql, cancellationToken) is not null;
        }
        return _hasBin == true ? Unreachable + NotInBin : Unreachable;
    }

    public Task<IReadOnlyList<GcCandidate>> ListCandidatesAsync(DateTimeOffset cutoff, string? after, int limit, CancellationToken cancellationToken = default) =>
        session.ReadAsync<IReadOnlyList<GcCandidate>>(async (c, tx) =>
        {
            var reachability = await ReachabilityAsync(c, tx, cancellationToken);
            return await QueryAsync(c, tx, $"""
                SELECT b.digest, b.size FROM blobs b
                WHERE b.last_linked_at < @cutoff AND b.digest > @after AND {reachability}
                ORDER BY b.digest LIMIT @n
                """, r => new GcCandidate(Digest.Parse(r.GetString(0)), r.Long(1)), cancellationToken,
                ("@cutoff", cutoff.ToUnixTimeMilliseconds()), ("@after", after ?? ""), ("@n", limit));
        }, snapshot: false, cancellationToken);

    public Task<bool> MarkAsync(Digest digest, DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            var reachability = await ReachabilityAsync(c, tx, cancellationToken);
            return await ExecuteAsync(c, tx, $"""
                UPDATE blobs SET deleting = TRUE
                WHERE digest = @d AND last_linked_at < @cutoff AND {reachability.Replace("b.digest", "blobs.digest", StringComparison.Ordinal)}
                """, cancellationToken, ("@d", digest.ToString()), ("@cutoff", cutoff.ToUnixTimeMilliseconds())) > 0;
        }, cancellationToken);

    public Task UnmarkAsync(Digest digest, CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => ExecuteAsync(c, tx, "UPDATE blobs SET deleting = FALSE WHERE digest = @d", cancellationToken, ("@d", digest.ToString())), cancellationToken);

    public Task<IReadOnlyList<string>> ListLinksAsync(Digest digest, CancellationToken cancellationToken = default) =>
        session.ReadAsync<IReadOnlyList<string>>(async (c, tx) => await QueryAsync(c, tx, "SELECT repository FROM repository_blobs WHERE digest = @d ORDER BY repository",
            r => r.GetString(0), cancellationToken, ("@d", digest.ToString())), snapshot: false, cancellationToken);

    public Task DeleteMarkedAsync(Digest digest, CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => ExecuteAsync(c, tx, "DELETE FROM blobs WHERE digest = @d AND deleting = TRUE", cancellationToken, ("@d", digest.ToString())), cancellationToken);

    public Task<IReadOnlyList<(string Repository, Digest Digest)>> ListUntaggedAsync(CancellationToken cancellationToken = default) =>
        session.ReadAsync<IReadOnlyList<(string, Digest)>>(async (c, tx) => await QueryAsync(c, tx, """
            SELECT m.repository, m.digest FROM manifests m
            WHERE m.subject IS NULL
              AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository = m.repository AND t.digest = m.digest)
              AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.repository = m.repository AND r.reference = m.digest)
            ORDER BY m.repository, m.digest
            """, r => (r.GetString(0), Digest.Parse(r.GetString(1))), cancellationToken), snapshot: false, cancellationToken);

    public Task<long> CreateRunAsync(string jobKind, bool dryRun, bool deleteUntagged, int workers, int timeWindowHours, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            return Convert.ToInt64(await ScalarAsync(c, tx, """
                INSERT INTO gc_runs (job_kind, status, dry_run, delete_untagged, workers, time_window, created_at, updated_at)
                VALUES (@k, 'Pending', @dry, @untagged, @w, @tw, @now, @now) RETURNING id
                """, cancellationToken, ("@k", jobKind), ("@dry", dryRun), ("@untagged", deleteUntagged), ("@w", workers), ("@tw", timeWindowHours), ("@now", now)));
        }, cancellationToken);

    public Task UpdateRunAsync(long id, string status, long blobsDeleted, long bytesFreed, long manifestsDeleted, string log, bool ended, CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            return ExecuteAsync(c, tx, """
                UPDATE gc_runs SET status = @s, blobs_deleted = @b, bytes_freed = @f, manifests_deleted = @m, log = @log, updated_at = @now,
                    ended_at = CASE WHEN @ended THEN @now ELSE ended_at END
                WHERE id = @id
                """, cancellationToken, ("@id", id), ("@s", status), ("@b", blobsDeleted), ("@f", bytesFreed), ("@m", manifestsDeleted), ("@log", log),
                ("@ended", ended), ("@now", now));
        }, cancellationToken);

    public Task<int> FailInterruptedAsync(CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => ExecuteAsync(c, tx, """
            UPDATE gc_runs SET status = 'Error', log = log || @note, updated_at = @now, ended_at = @now WHERE status IN ('Pending', 'Running')
            """, cancellationToken, ("@note", "the run was interrupted (the node hosting it stopped)\n"), ("@now", clock.GetUtcNow().ToUnixTimeMilliseconds())),
            cancellationToken);

    public Task<GcRunRecord?> GetRunAsync(long id, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => QuerySingleAsync(c, tx, $"SELECT {RunColumns} FROM gc_runs WHERE id = @id", MapRun, cancellationToken, ("@id", id)),
            snapshot: false, cancellationToken);

    public Task<string?> GetRunLogAsync(long id, CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) => await ScalarAsync(c, tx, "SELECT log FROM gc_runs WHERE id = @id", cancellationToken, ("@id", id)) as string,
            snapshot: false, cancellationToken);

    public Task<(IReadOnlyList<GcRunRecord> Runs, long Total)> ListRunsAsync(int offset, int limit, CancellationToken cancellationToken = default) =>
        session.ReadAsync<(IReadOnlyList<GcRunRecord>, long)>(async (c, tx) =>
        {
            var total = Convert.ToInt64(await ScalarAsync(c, tx, "SELECT count(*) FROM gc_runs", cancellationToken));
            var runs = await QueryAsync(c, tx, $"SELECT {RunColumns} FROM gc_runs ORDER BY id DESC LIMIT @n OFFSET @o", MapRun, cancellationToken,
                ("@n", limit), ("@o", offset));
            return (runs, total);
        }, snapshot: true, cancellationToken);

    public Task<GcScheduleRecord?> GetScheduleAsync(CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) =>
            await ScalarAsync(c, tx, "SELECT value FROM settings WHERE name = @n", cancellationToken, ("@n", ScheduleSetting)) is string json
                ? JsonSerializer.Deserialize<GcScheduleRecord>(json)
                : null, snapshot: false, cancellationToken);

    public Task SaveScheduleAsync(GcScheduleRecord schedule, CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => ExecuteAsync(c, tx, "INSERT INTO settings (name, value) VALUES (@n, @v) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            cancellationToken, ("@n", ScheduleSetting), ("@v", JsonSerializer.Serialize(schedule))), cancellationToken);

    private static GcRunRecord MapRun(DbDataReader r) => new(
        r.Long(0), r.GetString(1), r.GetString(2), r.Bool(3), r.Bool(4), r.Int(5), r.Int(6), r.Long(7), r.Long(8), r.Long(9),
        r.Time(10), r.Time(11), r.NullableTime(12));
}
