using System.Data.Common;
using static Registry.Grains.Metadata.SqlSession;

namespace Registry.Grains.Metadata;

/// <summary><see cref="IRetentionStore"/> on either metadata database.</summary>
internal sealed class SqlRetentionStore(SqlSession session) : IRetentionStore
{
    private const string PolicyColumns = "id, project_id, policy, cron, scheduled_at, created_at, updated_at";
    private const string ExecutionColumns = "id, policy_id, status, trigger_kind, dry_run, operator, start_time, end_time";
    private const string TaskColumns = "id, execution_id, repository, status, total, retained, start_time, end_time";

    private static RetentionPolicyRecord ReadPolicy(DbDataReader r) =>
        new(r.Long(0), r.Long(1), r.GetString(2), r.NullableString(3), r.Time(4), r.Time(5), r.Time(6));

    private static RetentionExecutionRecord ReadExecution(DbDataReader r) =>
        new(r.Long(0), r.Long(1), r.GetString(2), r.GetString(3), r.Bool(4), r.GetString(5), r.Time(6), r.NullableTime(7));

    private static RetentionTaskRecord ReadTask(DbDataReader r) =>
        new(r.Long(0), r.Long(1), r.GetString(2), r.GetString(3), r.Int(4), r.Int(5), r.Time(6), r.NullableTime(7));

    public async Task<RetentionPolicyRecord?> CreatePolicyAsync(long projectId, string policy, string? cron, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        try
        {
            return await session.WriteAsync((c, tx) => QuerySingleAsync(c, tx, $"""
                INSERT INTO retention_policies (project_id, policy, cron, scheduled_at, created_at, updated_at)
                VALUES (@p, @j, @c, @t, @t, @t) RETURNING {PolicyColumns}
                """, ReadPolicy, cancellationToken, ("@p", projectId), ("@j", policy), ("@c", cron), ("@t", now.ToUnixTimeMilliseconds())), cancellationToken);
        }
        catch (Exception e) when (session.IsUniqueViolation(e))
        {
            return null;
        }
    }

    public Task<RetentionPolicyRecord?> GetPolicyAsync(long id, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => QuerySingleAsync(c, tx, $"SELECT {PolicyColumns} FROM retention_policies WHERE id = @id", ReadPolicy,
            cancellationToken, ("@id", id)), snapshot: false, cancellationToken);

    public Task<RetentionPolicyRecord?> GetPolicyOfProjectAsync(long projectId, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => QuerySingleAsync(c, tx, $"SELECT {PolicyColumns} FROM retention_policies WHERE project_id = @p", ReadPolicy,
            cancellationToken, ("@p", projectId)), snapshot: false, cancellationToken);

    public async Task<IReadOnlyDictionary<long, long>> GetPolicyIdsOfProjectsAsync(IReadOnlyCollection<long> projectIds, CancellationToken cancellationToken = default)
    {
        if (projectIds.Count == 0) return new Dictionary<long, long>();
        // Ids are numbers, written into the statement as such.
        var pairs = await session.ReadAsync((c, tx) => QueryAsync(c, tx,
            $"SELECT project_id, id FROM retention_policies WHERE project_id IN ({string.Join(", ", projectIds)})", r => (Project: r.Long(0), Policy: r.Long(1)),
            cancellationToken), snapshot: false, cancellationToken);
        return pairs.ToDictionary(p => p.Project, p => p.Policy);
    }

    public async Task<bool> UpdatePolicyAsync(long id, string policy, string? cron, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        await session.WriteAsync((c, tx) => ExecuteAsync(c, tx,
            "UPDATE retention_policies SET policy = @j, cron = @c, scheduled_at = @t, updated_at = @t WHERE id = @id", cancellationToken,
            ("@j", policy), ("@c", cron), ("@t", now.ToUnixTimeMilliseconds()), ("@id", id)), cancellationToken) > 0;

    public Task<bool> DeletePolicyAsync(long id, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            await ExecuteAsync(c, tx, "DELETE FROM retention_tasks WHERE execution_id IN (SELECT id FROM retention_executions WHERE policy_id = @id)",
                cancellationToken, ("@id", id));
            await ExecuteAsync(c, tx, "DELETE FROM retention_executions WHERE policy_id = @id", cancellationToken, ("@id", id));
            return await ExecuteAsync(c, tx, "DELETE FROM retention_policies WHERE id = @id", cancellationToken, ("@id", id)) > 0;
        }, cancellationToken);

    public Task<IReadOnlyList<RetentionPolicyRecord>> ListScheduledAsync(CancellationToken cancellationToken = default) =>
        session.ReadAsync<IReadOnlyList<RetentionPolicyRecord>>(async (c, tx) => await QueryAsync(c, tx,
            $"SELECT {PolicyColumns} FROM retention_policies WHERE cron IS NOT NULL ORDER BY id", ReadPolicy, cancellationToken), snapshot: false, cancellationToken);

    public async Task<bool> MarkScheduledAsync(long id, DateTimeOffset previous, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await session.WriteAsync((c, tx) => ExecuteAsync(c, tx, "UPDATE retention_policies SET scheduled_at = @at WHERE id = @id AND scheduled_at = @prev",
            cancellationToken, ("@at", at.ToUnixTimeMilliseconds()), ("@id", id), ("@prev", previous.ToUnixTimeMilliseconds())), cancellationToken) > 0;

    public async Task<RetentionExecutionRecord> CreateExecutionAsync(long policyId, string trigger, bool dryRun, string @operator, DateTimeOffset now,
        CancellationToken cancellationToken = default) =>
        (await session.WriteAsync((c, tx) => QuerySingleAsync(c, tx, $"""
            INSERT INTO retention_executions (policy_id, status, trigger_kind, dry_run, operator, start_time)
            VALUES (@p, @s, @k, @d, @o, @t) RETURNING {ExecutionColumns}
            """, ReadExecution, cancellationToken, ("@p", policyId), ("@s", RetentionStatus.Running), ("@k", trigger), ("@d", dryRun), ("@o", @operator),
            ("@t", now.ToUnixTimeMilliseconds())), cancellationToken))!;

    public Task FinishExecutionAsync(long id, string status, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => ExecuteAsync(c, tx, "UPDATE retention_executions SET status = @s, end_time = @t WHERE id = @id",
            cancellationToken, ("@s", status), ("@t", now.ToUnixTimeMilliseconds()), ("@id", id)), cancellationToken);

    public Task<int> FailRunningAsync(long policyId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            await ExecuteAsync(c, tx, """
                UPDATE retention_tasks SET status = @f, end_time = @t
                WHERE status = @r AND execution_id IN (SELECT id FROM retention_executions WHERE policy_id = @p)
                """, cancellationToken, ("@f", RetentionStatus.Failed), ("@t", now.ToUnixTimeMilliseconds()), ("@r", RetentionStatus.Running), ("@p", policyId));
            return await ExecuteAsync(c, tx, "UPDATE retention_executions SET status = @f, end_time = @t WHERE policy_id = @p AND status = @r",
                cancellationToken, ("@f", RetentionStatus.Failed), ("@t", now.ToUnixTimeMilliseconds()), ("@p", policyId), ("@r", RetentionStatus.Running));
        }, cancellationToken);

    public Task<RetentionExecutionRecord?> GetExecutionAsync(long id, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => QuerySingleAsync(c, tx, $"SELECT {ExecutionColumns} FROM retention_executions WHERE id = @id", ReadExecution,
            cancellationToken, ("@id", id)), snapshot: false, cancellationToken);

    public Task<Page<RetentionExecutionRecord>> ListExecutionsAsync(long policyId, int offset, int limit, CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) =>
        {
            var total = Convert.ToInt64(await ScalarAsync(c, tx, "SELECT count(*) FROM retention_executions WHERE policy_id = @p", cancellationToken, ("@p", policyId)));
            var items = await QueryAsync(c, tx, $"SELECT {ExecutionColumns} FROM retention_executions WHERE policy_id = @p ORDER BY id DESC LIMIT @l OFFSET @o",
                ReadExecution, cancellationToken, ("@p", policyId), ("@l", (long)limit), ("@o", (long)offset));
            return new Page<RetentionExecutionRecord>(items, total);
        }, snapshot: true, cancellationToken);

    public async Task<long> CreateTaskAsync(long executionId, string repository, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Convert.ToInt64(await session.WriteAsync((c, tx) => ScalarAsync(c, tx, """
            INSERT INTO retention_tasks (execution_id, repository, status, total, retained, log, start_time)
            VALUES (@e, @r, @s, 0, 0, '', @t) RETURNING id
            """, cancellationToken, ("@e", executionId), ("@r", repository), ("@s", RetentionStatus.Running), ("@t", now.ToUnixTimeMilliseconds())), cancellationToken));

    public Task FinishTaskAsync(long id, string status, int total, int retained, string log, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => ExecuteAsync(c, tx,
            "UPDATE retention_tasks SET status = @s, total = @n, retained = @k, log = @log, end_time = @t WHERE id = @id", cancellationToken,
            ("@s", status), ("@n", total), ("@k", retained), ("@log", log), ("@t", now.ToUnixTimeMilliseconds()), ("@id", id)), cancellationToken);

    public Task<Page<RetentionTaskRecord>> ListTasksAsync(long executionId, int offset, int limit, CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) =>
        {
            var total = Convert.ToInt64(await ScalarAsync(c, tx, "SELECT count(*) FROM retention_tasks WHERE execution_id = @e", cancellationToken, ("@e", executionId)));
            var items = await QueryAsync(c, tx, $"SELECT {TaskColumns} FROM retention_tasks WHERE execution_id = @e ORDER BY id LIMIT @l OFFSET @o",
                ReadTask, cancellationToken, ("@e", executionId), ("@l", (long)limit), ("@o", (long)offset));
            return new Page<RetentionTaskRecord>(items, total);
        }, snapshot: true, cancellationToken);

    public Task<string?> GetTaskLogAsync(long executionId, long taskId, CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) => (string?)await ScalarAsync(c, tx, "SELECT log FROM retention_tasks WHERE id = @id AND execution_id = @e",
            cancellationToken, ("@id", taskId), ("@e", executionId)), snapshot: false, cancellationToken);
}
