namespace Registry.Grains.Metadata;

/// <summary>A project's retention policy as stored: Harbor's policy JSON and the cron it runs on (null: manual only).</summary>
public sealed record RetentionPolicyRecord(long Id, long ProjectId, string Policy, string? Cron, DateTimeOffset ScheduledAt,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Harbor's execution statuses.</summary>
public static class RetentionStatus
{
    public const string Running = "Running";
    public const string Succeed = "Succeed";
    public const string Failed = "Failed";
    public const string Stopped = "Stopped";
}

public sealed record RetentionExecutionRecord(long Id, long PolicyId, string Status, string Trigger, bool DryRun, string Operator,
    DateTimeOffset StartTime, DateTimeOffset? EndTime);

/// <summary>One repository of an execution: how many artifacts it had and kept.</summary>
public sealed record RetentionTaskRecord(long Id, long ExecutionId, string Repository, string Status, int Total, int Retained,
    DateTimeOffset StartTime, DateTimeOffset? EndTime);

/// <summary>Retention policies (one per project), their executions and per-repository tasks with logs.</summary>
public interface IRetentionStore
{
    /// <summary>Null when the project already has a policy.</summary>
    Task<RetentionPolicyRecord?> CreatePolicyAsync(long projectId, string policy, string? cron, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task<RetentionPolicyRecord?> GetPolicyAsync(long id, CancellationToken cancellationToken = default);
    Task<RetentionPolicyRecord?> GetPolicyOfProjectAsync(long projectId, CancellationToken cancellationToken = default);
    /// <summary>The policy id of each of these projects that has one, in one query (a page of the project list).</summary>
    Task<IReadOnlyDictionary<long, long>> GetPolicyIdsOfProjectsAsync(IReadOnlyCollection<long> projectIds, CancellationToken cancellationToken = default);
    /// <summary>Replaces the policy; its schedule counts from <paramref name="now"/>.</summary>
    Task<bool> UpdatePolicyAsync(long id, string policy, string? cron, DateTimeOffset now, CancellationToken cancellationToken = default);
    /// <summary>Deletes the policy with its executions and tasks.</summary>
    Task<bool> DeletePolicyAsync(long id, CancellationToken cancellationToken = default);
    /// <summary>Policies with a cron.</summary>
    Task<IReadOnlyList<RetentionPolicyRecord>> ListScheduledAsync(CancellationToken cancellationToken = default);
    /// <summary>Records that the schedule fired at <paramref name="at"/>; false when another node recorded it first.</summary>
    Task<bool> MarkScheduledAsync(long id, DateTimeOffset previous, DateTimeOffset at, CancellationToken cancellationToken = default);

    Task<RetentionExecutionRecord> CreateExecutionAsync(long policyId, string trigger, bool dryRun, string @operator, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task FinishExecutionAsync(long id, string status, DateTimeOffset now, CancellationToken cancellationToken = default);
    /// <summary>Marks executions of the policy still recorded as running as failed (their runner is gone); returns how many.</summary>
    Task<int> FailRunningAsync(long policyId, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task<RetentionExecutionRecord?> GetExecutionAsync(long id, CancellationToken cancellationToken = default);
    /// <summary>Newest first.</summary>
    Task<Page<RetentionExecutionRecord>> ListExecutionsAsync(long policyId, int offset, int limit, CancellationToken cancellationToken = default);

    Task<long> CreateTaskAsync(long executionId, string repository, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task FinishTaskAsync(long id, string status, int total, int retained, string log, DateTimeOffset now, CancellationToken cancellationToken = default);
    /// <summary>In order of creation.</summary>
    Task<Page<RetentionTaskRecord>> ListTasksAsync(long executionId, int offset, int limit, CancellationToken cancellationToken = default);
    Task<string?> GetTaskLogAsync(long executionId, long taskId, CancellationToken cancellationToken = default);
}
