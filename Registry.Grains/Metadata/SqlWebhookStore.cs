using System.Data.Common;
using System.Text.Json;
using Registry.Grains.Policies;

namespace Registry.Grains.Metadata;

/// <summary>Where a webhook policy sends: Harbor's WebhookTargetObject.</summary>
public sealed record WebhookTarget(string Type, string Address, string? AuthHeader, bool SkipCertVerify, string PayloadFormat);

public sealed record WebhookPolicyRecord(
    long Id, long ProjectId, string Name, string Description, IReadOnlyList<WebhookTarget> Targets, IReadOnlyList<string> EventTypes,
    bool Enabled, string Creator, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// One delivery of one outbox event to one target of one policy (Harbor shows it as an execution
/// with one task). <see cref="Payload"/> is the event as the outbox held it; the response body of
/// the target is never kept, only its status code.
/// </summary>
public sealed record WebhookJobRecord(
    long Id, long PolicyId, long ProjectId, long EventId, string EventType, int TargetIndex, string NotifyType, string Payload,
    string Status, int Attempts, DateTimeOffset NextAttemptAt, int? ResponseCode, string Message, string Log,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>The last time each event type of each policy of a project fired.</summary>
public sealed record WebhookLastTrigger(long PolicyId, string PolicyName, string EventType, bool Enabled, DateTimeOffset CreatedAt, DateTimeOffset? LastTriggerAt);

/// <summary>Job statuses, as Harbor names them.</summary>
public static class WebhookJobStatus
{
    public const string Pending = "Pending";
    public const string Running = "Running";
    public const string Success = "Success";
    public const string Error = "Error";
    public const string Stopped = "Stopped";
}

/// <summary>
/// Webhook policies and their deliveries. Several nodes may dispatch at once: the outbox cursor
/// only moves forward by compare-and-set in the transaction that creates the jobs, and a job is
/// delivered by whoever claims it (a lease, so a node that dies mid-delivery does not lose it).
/// </summary>
public interface IWebhookStore
{
    /// <summary>Null when the project already has a policy of that name.</summary>
    Task<WebhookPolicyRecord?> CreatePolicyAsync(WebhookPolicyRecord policy, CancellationToken cancellationToken = default);
    Task<WebhookPolicyRecord?> GetPolicyAsync(long projectId, long id, CancellationToken cancellationToken = default);

    /// <summary>Fields: filter <c>name</c>, <c>enabled</c>; sort <c>name</c>, <c>creation_time</c>, <c>update_time</c>.</summary>
    Task<Page<WebhookPolicyRecord>> ListPoliciesAsync(long projectId, ListQuery query, CancellationToken cancellationToken = default);

    /// <summary>Every enabled policy (for the dispatcher).</summary>
    Task<IReadOnlyList<WebhookPolicyRecord>> EnabledPoliciesAsync(CancellationToken cancellationToken = default);

    /// <summary>False when the policy is gone; a name another policy of the project has is an <see cref="InvalidOperationException"/>.</summary>
    Task<bool> UpdatePolicyAsync(WebhookPolicyRecord policy, CancellationToken cancellationToken = default);

    /// <summary>Deletes the policy and its jobs.</summary>
    Task<bool> DeletePolicyAsync(long projectId, long id, CancellationToken cancellationToken = default);

    Task<long> CursorAsync(string reader, CancellationToken cancellationToken = default);

    /// <summary>
    /// Inserts <paramref name="jobs"/> (duplicates of an existing (policy, event, target) are
    /// skipped) and moves the cursor from <paramref name="from"/> to <paramref name="to"/>, in one
    /// transaction; false (and nothing written) when another node moved the cursor first.
    /// </summary>
    Task<bool> EnqueueAsync(string reader, long from, long to, IReadOnlyList<WebhookJobRecord> jobs, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims up to <paramref name="limit"/> jobs that are due, each the oldest unfinished job of
    /// its policy (so each policy's events go out in order): marks them Running until
    /// <paramref name="leaseUntil"/> and counts the attempt.
    /// </summary>
    Task<IReadOnlyList<WebhookJobRecord>> ClaimAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken = default);

    /// <summary>Records an attempt's outcome: a final status, or Pending again with the time of the next attempt.</summary>
    Task CompleteAsync(long id, string status, int? responseCode, string message, string logLine, DateTimeOffset nextAttemptAt, DateTimeOffset now,
        CancellationToken cancellationToken = default);

    /// <summary>Fields: filter <c>status</c>, <c>event_type</c>; sort <c>creation_time</c>, <c>update_time</c>. Newest first by default.</summary>
    Task<Page<WebhookJobRecord>> ListJobsAsync(long projectId, long? policyId, ListQuery query, CancellationToken cancellationToken = default);
    Task<WebhookJobRecord?> GetJobAsync(long projectId, long policyId, long id, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<WebhookLastTrigger>> LastTriggersAsync(long projectId, CancellationToken cancellationToken = default);

    /// <summary>Deletes finished jobs last updated before <paramref name="cutoff"/>.</summary>
    Task<int> PurgeJobsAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}

internal sealed class SqlWebhookStore(SqlSession session) : IWebhookStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string PolicyColumns = "id, project_id, name, description, targets, event_types, enabled, creator, created_at, updated_at";

    private const string JobColumns = """
        id, policy_id, project_id, event_id, event_type, target_index, notify_type, payload, status, attempts, next_attempt_at,
        response_code, message, log, created_at, updated_at
        """;

    private static WebhookPolicyRecord ReadPolicy(DbDataReader r) => new(
        r.Long(0), r.Long(1), r.GetString(2), r.GetString(3),
        JsonSerializer.Deserialize<List<WebhookTarget>>(r.GetString(4), Json) ?? [],
        JsonSerializer.Deserialize<List<string>>(r.GetString(5), Json) ?? [],
        r.Bool(6), r.GetString(7), r.Time(8), r.Time(9));

    private static WebhookJobRecord ReadJob(DbDataReader r) => new(
        r.Long(0), r.Long(1), r.Long(2), r.Long(3), r.GetString(4), r.Int(5), r.GetString(6), r.GetString(7), r.GetString(8), r.Int(9),
        r.Time(10), r.IsDBNull(11) ? null : r.Int(11), r.GetString(12), r.GetString(13), r.Time(14), r.Time(15));

    private static readonly ListSpec PolicyList = new(
        new Dictionary<string, ListSpec.FilterBuilder>
        {
            ["name"] = ListSpec.Text("name"),
            ["enabled"] = ListSpec.Exact("enabled", v => bool.TryParse(v, out var b) ? b : throw new ArgumentException("enabled must be true or false")),
        },
        new Dictionary<string, string> { ["name"] = "name", ["creation_time"] = "created_at", ["update_time"] = "updated_at" },
        "created_at DESC, id DESC", "id");

    private static readonly ListSpec JobList = new(
        new Dictionary<string, ListSpec.FilterBuilder>
        {
            ["status"] = ListSpec.Text("status"),
            ["event_type"] = ListSpec.Text("event_type"),
        },
        new Dictionary<string, string> { ["creation_time"] = "created_at", ["update_time"] = "updated_at", ["id"] = "id" },
        "id DESC", "id");

    private static (string, object?)[] PolicyParameters(WebhookPolicyRecord p) =>
    [
        ("@project", p.ProjectId), ("@name", p.Name), ("@description", p.Description),
        ("@targets", JsonSerializer.Serialize(p.Targets, Json)), ("@events", JsonSerializer.Serialize(p.EventTypes, Json)),
        ("@enabled", p.Enabled), ("@creator", p.Creator), ("@created", p.CreatedAt.ToUnixTimeMilliseconds()), ("@updated", p.UpdatedAt.ToUnixTimeMilliseconds()),
    ];

    public async Task<WebhookPolicyRecord?> CreatePolicyAsync(WebhookPolicyRecord policy, CancellationToken cancellationToken = default)
    {
        try
        {
            return await session.WriteAsync((c, tx) => SqlSession.QuerySingleAsync(c, tx, $"""
                INSERT INTO webhook_policies (project_id, name, description, targets, event_types, enabled, creator, created_at, updated_at)
                VALUES (@project, @name, @description, @targets, @events, @enabled, @creator, @created, @updated)
                RETURNING {PolicyColumns}
                """, ReadPolicy, cancellationToken, PolicyParameters(policy)), cancellationToken);
        }
        catch (Exception e) when (session.IsUniqueViolation(e))
        {
            return null;
        }
    }

    public Task<WebhookPolicyRecord?> GetPolicyAsync(long projectId, long id, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => SqlSession.QuerySingleAsync(c, tx, $"SELECT {PolicyColumns} FROM webhook_policies WHERE project_id = @p AND id = @id",
            ReadPolicy, cancellationToken, ("@p", projectId), ("@id", id)), snapshot: false, cancellationToken);

    public Task<Page<WebhookPolicyRecord>> ListPoliciesAsync(long projectId, ListQuery query, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) =>
        {
            var sql = new SqlConditions();
            sql.Where($"project_id = {sql.Parameter(projectId)}");
            return PolicyList.PageAsync(c, tx, session, query, PolicyColumns, "webhook_policies", sql, ReadPolicy, cancellationToken);
        }, snapshot: true, cancellationToken);

    public Task<IReadOnlyList<WebhookPolicyRecord>> EnabledPoliciesAsync(CancellationToken cancellationToken = default) =>
        session.ReadAsync<IReadOnlyList<WebhookPolicyRecord>>(async (c, tx) => await SqlSession.QueryAsync(c, tx,
            $"SELECT {PolicyColumns} FROM webhook_policies WHERE enabled = @t ORDER BY id", ReadPolicy, cancellationToken, ("@t", true)),
            snapshot: false, cancellationToken);

    public async Task<bool> UpdatePolicyAsync(WebhookPolicyRecord policy, CancellationToken cancellationToken = default)
    {
        try
        {
            return await session.WriteAsync(async (c, tx) => await SqlSession.ExecuteAsync(c, tx, """
                UPDATE webhook_policies SET name = @name, description = @description, targets = @targets, event_types = @events,
                    enabled = @enabled, updated_at = @updated
                WHERE project_id = @project AND id = @id
                """, cancellationToken, [.. PolicyParameters(policy), ("@id", policy.Id)]) > 0, cancellationToken);
        }
        catch (Exception e) when (session.IsUniqueViolation(e))
        {
            throw new InvalidOperationException($"a webhook policy named {policy.Name} already exists", e);
        }
    }

    public Task<bool> DeletePolicyAsync(long projectId, long id, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            var deleted = await SqlSession.ExecuteAsync(c, tx, "DELETE FROM webhook_policies WHERE project_id = @p AND id = @id",
                cancellationToken, ("@p", projectId), ("@id", id));
            if (deleted > 0) await SqlSession.ExecuteAsync(c, tx, "DELETE FROM webhook_jobs WHERE policy_id = @id", cancellationToken, ("@id", id));
            return deleted > 0;
        }, cancellationToken);

    public Task<long> CursorAsync(string reader, CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) => Convert.ToInt64(await SqlSession.ScalarAsync(c, tx, "SELECT last_id FROM outbox_cursors WHERE reader = @r",
            cancellationToken, ("@r", reader)) ?? 0L), snapshot: false, cancellationToken);

    public Task<bool> EnqueueAsync(string reader, long from, long to, IReadOnlyList<WebhookJobRecord> jobs, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) =>
        {
            var moved = await SqlSession.ExecuteAsync(c, tx, "UPDATE outbox_cursors SET last_id = @to WHERE reader = @r AND last_id = @from",
                cancellationToken, ("@to", to), ("@r", reader), ("@from", from));
            if (moved == 0)
            {
                // The reader's first run (no row yet) starts from the given position; otherwise another node was first.
                if (await SqlSession.ScalarAsync(c, tx, "SELECT last_id FROM outbox_cursors WHERE reader = @r", cancellationToken, ("@r", reader)) is not null)
                    return false;
                await SqlSession.ExecuteAsync(c, tx, "INSERT INTO outbox_cursors (reader, last_id) VALUES (@r, @to)", cancellationToken, ("@r", reader), ("@to", to));
            }
            foreach (var j in jobs)
            {
                await SqlSession.ExecuteAsync(c, tx, """
                    INSERT INTO webhook_jobs (policy_id, project_id, event_id, event_type, target_index, notify_type, payload, status, attempts,
                        next_attempt_at, response_code, message, log, created_at, updated_at)
                    VALUES (@policy, @project, @event, @type, @target, @notify, @payload, @status, 0, @next, NULL, '', '', @now, @now)
                    ON CONFLICT (policy_id, event_id, target_index) DO NOTHING
                    """, cancellationToken, ("@policy", j.PolicyId), ("@project", j.ProjectId), ("@event", j.EventId), ("@type", j.EventType),
                    ("@target", j.TargetIndex), ("@notify", j.NotifyType), ("@payload", j.Payload), ("@status", WebhookJobStatus.Pending),
                    ("@next", j.NextAttemptAt.ToUnixTimeMilliseconds()), ("@now", j.CreatedAt.ToUnixTimeMilliseconds()));
            }
            return true;
        }, cancellationToken);

    public Task<IReadOnlyList<WebhookJobRecord>> ClaimAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken = default) =>
        session.WriteAsync<IReadOnlyList<WebhookJobRecord>>(async (c, tx) =>
        {
            // The head of each policy's queue; a Running head whose lease ran out is due again.
            var heads = await SqlSession.QueryAsync(c, tx, $"""
                SELECT {JobColumns} FROM webhook_jobs j
                WHERE j.status IN (@pending, @running) AND j.next_attempt_at <= @now
                  AND j.id = (SELECT min(k.id) FROM webhook_jobs k WHERE k.policy_id = j.policy_id AND k.status IN (@pending, @running))
                ORDER BY j.id LIMIT @limit
                """, ReadJob, cancellationToken, ("@pending", WebhookJobStatus.Pending), ("@running", WebhookJobStatus.Running),
                ("@now", now.ToUnixTimeMilliseconds()), ("@limit", limit));
            var claimed = new List<WebhookJobRecord>(heads.Count);
            foreach (var job in heads)
            {
                var won = await SqlSession.ExecuteAsync(c, tx, """
                    UPDATE webhook_jobs SET status = @running, attempts = attempts + 1, next_attempt_at = @lease, updated_at = @now
                    WHERE id = @id AND status = @status AND next_attempt_at = @next
                    """, cancellationToken, ("@running", WebhookJobStatus.Running), ("@lease", leaseUntil.ToUnixTimeMilliseconds()),
                    ("@now", now.ToUnixTimeMilliseconds()), ("@id", job.Id), ("@status", job.Status), ("@next", job.NextAttemptAt.ToUnixTimeMilliseconds()));
                if (won > 0) claimed.Add(job with { Status = WebhookJobStatus.Running, Attempts = job.Attempts + 1 });
            }
            return claimed;
        }, cancellationToken);

    public Task CompleteAsync(long id, string status, int? responseCode, string message, string logLine, DateTimeOffset nextAttemptAt, DateTimeOffset now,
        CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => SqlSession.ExecuteAsync(c, tx, """
            UPDATE webhook_jobs SET status = @status, response_code = @code, message = @message, log = log || @line,
                next_attempt_at = @next, updated_at = @now
            WHERE id = @id
            """, cancellationToken, ("@status", status), ("@code", responseCode), ("@message", message), ("@line", logLine + "\n"),
            ("@next", nextAttemptAt.ToUnixTimeMilliseconds()), ("@now", now.ToUnixTimeMilliseconds()), ("@id", id)), cancellationToken);

    public Task<Page<WebhookJobRecord>> ListJobsAsync(long projectId, long? policyId, ListQuery query, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) =>
        {
            var sql = new SqlConditions();
            sql.Where($"project_id = {sql.Parameter(projectId)}");
            if (policyId is { } p) sql.Where($"policy_id = {sql.Parameter(p)}");
            return JobList.PageAsync(c, tx, session, query, JobColumns, "webhook_jobs", sql, ReadJob, cancellationToken);
        }, snapshot: true, cancellationToken);

    public Task<WebhookJobRecord?> GetJobAsync(long projectId, long policyId, long id, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => SqlSession.QuerySingleAsync(c, tx,
            $"SELECT {JobColumns} FROM webhook_jobs WHERE project_id = @p AND policy_id = @policy AND id = @id",
            ReadJob, cancellationToken, ("@p", projectId), ("@policy", policyId), ("@id", id)), snapshot: false, cancellationToken);

    public Task<IReadOnlyList<WebhookLastTrigger>> LastTriggersAsync(long projectId, CancellationToken cancellationToken = default) =>
        session.ReadAsync<IReadOnlyList<WebhookLastTrigger>>(async (c, tx) =>
        {
            var policies = await SqlSession.QueryAsync(c, tx, $"SELECT {PolicyColumns} FROM webhook_policies WHERE project_id = @p ORDER BY id",
                ReadPolicy, cancellationToken, ("@p", projectId));
            var last = await SqlSession.QueryAsync(c, tx,
                "SELECT policy_id, event_type, max(created_at) FROM webhook_jobs WHERE project_id = @p GROUP BY policy_id, event_type",
                r => (Policy: r.Long(0), Type: r.GetString(1), At: r.Time(2)), cancellationToken, ("@p", projectId));
            return [.. policies.SelectMany(p => p.EventTypes.Select(t => new WebhookLastTrigger(p.Id, p.Name, t, p.Enabled, p.CreatedAt,
                last.Where(l => l.Policy == p.Id && l.Type == t).Select(l => (DateTimeOffset?)l.At).FirstOrDefault())))];
        }, snapshot: true, cancellationToken);

    public Task<int> PurgeJobsAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => SqlSession.ExecuteAsync(c, tx,
            "DELETE FROM webhook_jobs WHERE status IN (@s, @e, @x) AND updated_at < @cutoff", cancellationToken,
            ("@s", WebhookJobStatus.Success), ("@e", WebhookJobStatus.Error), ("@x", WebhookJobStatus.Stopped), ("@cutoff", cutoff.ToUnixTimeMilliseconds())),
            cancellationToken);
}
