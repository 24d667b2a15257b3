using System.Data.Common;

namespace Registry.Grains.Metadata;

/// <summary>The audit-log purge schedule: Harbor's schedule object plus the job's parameters (JSON).</summary>
public sealed record AuditPurgeScheduleRecord(string Type, string? Cron, string Parameters, DateTimeOffset? NextRunAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>One purge run: how it was started, with what parameters, its status, how many entries it removed and its log.</summary>
public sealed record AuditPurgeRecord(long Id, string Trigger, string Parameters, string Status, long Deleted, string Log, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// The audit-log purge job's schedule and history, and the audit entries written in batches (the
/// pull audit). A scheduled run is claimed by compare-and-set on the schedule's next run time, so
/// with several nodes one run happens per occurrence.
/// </summary>
public interface IAuditPurgeStore
{
    Task<AuditPurgeScheduleRecord?> GetScheduleAsync(CancellationToken cancellationToken = default);
    Task SetScheduleAsync(AuditPurgeScheduleRecord schedule, CancellationToken cancellationToken = default);

    /// <summary>True when this caller moved the next run from <paramref name="due"/> to <paramref name="next"/> (and so runs it).</summary>
    Task<bool> ClaimRunAsync(DateTimeOffset due, DateTimeOffset? next, CancellationToken cancellationToken = default);

    Task<AuditPurgeRecord> StartAsync(string trigger, string parameters, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task FinishAsync(long id, string status, long deleted, string log, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task<AuditPurgeRecord?> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Fields: filter <c>job_status</c>; sort <c>creation_time</c>, <c>update_time</c>. Newest first by default.</summary>
    Task<Page<AuditPurgeRecord>> ListAsync(ListQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts (<paramref name="dryRun"/>) or deletes the audit entries older than <paramref name="cutoff"/>
    /// whose operation is one of <paramref name="operations"/> (every operation when empty).
    /// </summary>
    Task<long> PurgeAuditAsync(DateTimeOffset cutoff, IReadOnlyCollection<string> operations, bool dryRun, CancellationToken cancellationToken = default);

    /// <summary>Appends several audit entries in one transaction.</summary>
    Task AppendAuditAsync(IReadOnlyList<AuditRecord> entries, CancellationToken cancellationToken = default);
}

internal sealed class SqlAuditPurgeStore(SqlSession session) : IAuditPurgeStore
{
    private const string Columns = "id, trigger, parameters, status, deleted, log, created_at, updated_at";

    private static AuditPurgeRecord Read(DbDataReader r) =>
        new(r.Long(0), r.GetString(1), r.GetString(2), r.GetString(3), r.Long(4), r.GetString(5), r.Time(6), r.Time(7));

    private static readonly ListSpec List = new(
        new Dictionary<string, ListSpec.FilterBuilder> { ["job_status"] = ListSpec.Text("status") },
        new Dictionary<string, string> { ["creation_time"] = "created_at", ["update_time"] = "updated_at" },
        "id DESC", "id");

    public Task<AuditPurgeScheduleRecord?> GetScheduleAsync(CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => SqlSession.QuerySingleAsync(c, tx,
            "SELECT type, cron, parameters, next_run_at, created_at, updated_at FROM audit_purge_schedule WHERE id = 1",
            r => new AuditPurgeScheduleRecord(r.GetString(0), r.NullableString(1), r.GetString(2), r.NullableTime(3), r.Time(4), r.Time(5)),
            cancellationToken), snapshot: false, cancellationToken);

    public Task SetScheduleAsync(AuditPurgeScheduleRecord s, CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => SqlSession.ExecuteAsync(c, tx, """
            INSERT INTO audit_purge_schedule (id, type, cron, parameters, next_run_at, created_at, updated_at)
            VALUES (1, @type, @cron, @params, @next, @created, @updated)
            ON CONFLICT (id) DO UPDATE SET type = @type, cron = @cron, parameters = @params, next_run_at = @next, updated_at = @updated
            """, cancellationToken, ("@type", s.Type), ("@cron", s.Cron), ("@params", s.Parameters), ("@next", s.NextRunAt?.ToUnixTimeMilliseconds()),
            ("@created", s.CreatedAt.ToUnixTimeMilliseconds()), ("@updated", s.UpdatedAt.ToUnixTimeMilliseconds())), cancellationToken);

    public Task<bool> ClaimRunAsync(DateTimeOffset due, DateTimeOffset? next, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => await SqlSession.ExecuteAsync(c, tx,
            "UPDATE audit_purge_schedule SET next_run_at = @next WHERE id = 1 AND next_run_at = @due", cancellationToken,
            ("@next", next?.ToUnixTimeMilliseconds()), ("@due", due.ToUnixTimeMilliseconds())) > 0, cancellationToken);

    public Task<AuditPurgeRecord> StartAsync(string trigger, string parameters, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => (await SqlSession.QuerySingleAsync(c, tx, $"""
            INSERT INTO audit_purges (trigger, parameters, status, deleted, log, created_at, updated_at)
            VALUES (@trigger, @params, 'Running', 0, '', @now, @now) RETURNING {Columns}
            """, Read, cancellationToken, ("@trigger", trigger), ("@params", parameters), ("@now", now.ToUnixTimeMilliseconds())))!, cancellationToken);

    public Task FinishAsync(long id, string status, long deleted, string log, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => SqlSession.ExecuteAsync(c, tx,
            "UPDATE audit_purges SET status = @status, deleted = @deleted, log = @log, updated_at = @now WHERE id = @id AND status = 'Running'",
            cancellationToken, ("@status", status), ("@deleted", deleted), ("@log", log), ("@now", now.ToUnixTimeMilliseconds()), ("@id", id)),
            cancellationToken);

    public Task<AuditPurgeRecord?> GetAsync(long id, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => SqlSession.QuerySingleAsync(c, tx, $"SELECT {Columns} FROM audit_purges WHERE id = @id", Read, cancellationToken, ("@id", id)),
            snapshot: false, cancellationToken);

    public Task<Page<AuditPurgeRecord>> ListAsync(ListQuery query, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => List.PageAsync(c, tx, session, query, Columns, "audit_purges", new SqlConditions(), Read, cancellationToken),
            snapshot: true, cancellationToken);

    public Task<long> PurgeAuditAsync(DateTimeOffset cutoff, IReadOnlyCollection<string> operations, bool dryRun, CancellationToken cancellationToken = default)
    {
        var sql = new SqlConditions();
        sql.Where($"op_time < {sql.Parameter(cutoff.ToUnixTimeMilliseconds())}");
        if (operations.Count > 0) sql.Where($"operation IN ({string.Join(", ", operations.Select(o => sql.Parameter(o)))})");
        var statement = (dryRun ? "SELECT count(*) FROM audit_logs" : "DELETE FROM audit_logs") + sql.WhereClause;
        return dryRun
            ? session.ReadAsync(async (c, tx) =>
            {
                await using var command = SqlSession.Command(c, tx, statement, sql.Parameters);
                return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken));
            }, snapshot: false, cancellationToken)
            : session.WriteAsync(async (c, tx) =>
            {
                await using var command = SqlSession.Command(c, tx, statement, sql.Parameters);
                return (long)await command.ExecuteNonQueryAsync(cancellationToken);
            }, cancellationToken);
    }

    public Task AppendAuditAsync(IReadOnlyList<AuditRecord> entries, CancellationToken cancellationToken = default) =>
        entries.Count == 0 ? Task.CompletedTask : session.WriteAsync(async (c, tx) =>
        {
            foreach (var e in entries)
            {
                await SqlSession.ExecuteAsync(c, tx, """
                    INSERT INTO audit_logs (project_id, username, resource, resource_type, operation, result, op_time)
                    VALUES (@p, @u, @r, @rt, @o, @res, @t)
                    """, cancellationToken, ("@p", e.ProjectId), ("@u", e.Username), ("@r", e.Resource), ("@rt", e.ResourceType),
                    ("@o", e.Operation), ("@res", e.Result), ("@t", e.OpTime.ToUnixTimeMilliseconds()));
            }
            return 0;
        }, cancellationToken);
}
