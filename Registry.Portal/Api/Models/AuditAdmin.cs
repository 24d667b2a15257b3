namespace Registry.Portal.Api.Models;

/// <summary>Harbor's ScheduleObj.</summary>
public sealed record PurgeScheduleObj(string? Type, string? Cron, DateTimeOffset? NextScheduledTime = null);

/// <summary>Harbor's ExecHistory, for the audit-log purge runs and schedule.</summary>
public sealed record PurgeHistory(long Id, string JobName, string JobKind, string? JobParameters, PurgeScheduleObj? Schedule, string? JobStatus,
    DateTimeOffset CreationTime, DateTimeOffset UpdateTime);

/// <summary>The body of POST/PUT <c>/system/purgeaudit/schedule</c>.</summary>
public sealed record PurgeScheduleSave(PurgeScheduleObj Schedule, Dictionary<string, object> Parameters);
