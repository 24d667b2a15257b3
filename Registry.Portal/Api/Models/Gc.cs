namespace Registry.Portal.Api.Models;

// Garbage collection as /system/gc answers it (snake_case on the wire).

public sealed record GcScheduleObj(string? Type, string? Cron, DateTimeOffset? NextScheduledTime = null);

/// <summary>A run from <c>GET /system/gc</c>, or the schedule from <c>GET /system/gc/schedule</c>.</summary>
public sealed record GcRun(long Id, string JobKind, string JobParameters, GcScheduleObj? Schedule, string JobStatus,
    DateTimeOffset CreationTime, DateTimeOffset UpdateTime, long? BlobsDeleted, long? FreedSpace, long? ManifestsDeleted, DateTimeOffset? EndTime);

public sealed record GcParametersBody(bool DryRun, bool DeleteUntagged, int Workers);

/// <summary>Body of <c>POST/PUT /system/gc/schedule</c>.</summary>
public sealed record GcScheduleBody(GcScheduleObj Schedule, GcParametersBody Parameters);
