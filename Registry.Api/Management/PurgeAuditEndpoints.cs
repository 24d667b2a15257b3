using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Api.Management;

/// <summary>Harbor's Schedule: the POST/PUT body of <c>/system/purgeaudit/schedule</c>.</summary>
public sealed record PurgeScheduleRequest(ScheduleObj? Schedule, JsonObject? Parameters);

/// <summary>Harbor's ExecHistory: a purge run, or (from GET schedule) the schedule itself.</summary>
public sealed record ExecHistory(long Id, string JobName, string JobKind, string JobParameters, ScheduleObj? Schedule, string? JobStatus, bool Deleted,
    DateTimeOffset CreationTime, DateTimeOffset UpdateTime);

public sealed class PurgeScheduleRequestValidator : AbstractValidator<PurgeScheduleRequest>
{
    public PurgeScheduleRequestValidator()
    {
        RuleFor(r => r.Schedule).NotNull().WithMessage("schedule is required");
        RuleFor(r => r.Schedule!.Type).NotEmpty().WithMessage("schedule.type is required").When(r => r.Schedule is not null);
        RuleFor(r => r.Schedule!).Must(s => new JobSchedule(s.Type!, s.Cron).Validate() is null)
            .WithMessage(r => new JobSchedule(r.Schedule!.Type!, r.Schedule.Cron).Validate()!).When(r => r.Schedule?.Type is not null);
    }
}

/// <summary>The audit-log purge: its schedule, manual runs, history, logs and stop (system admins).</summary>
public static class PurgeAuditEndpoints
{
    private const string JobName = "PURGE_AUDIT";

    private static readonly IReadOnlyList<Paging.Field> Fields =
        [new("job_status", Fuzzy: false, Sortable: false), new("creation_time", Filterable: false), new("update_time", Filterable: false)];

    public static RouteGroupBuilder MapPurgeAuditEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/system/purgeaudit", ListAsync).WithSummary("Get purge job results.").Produces<IReadOnlyList<ExecHistory>>();
        api.MapGet("/system/purgeaudit/{purge_id:long}", GetAsync).WithSummary("Get purge job status.").Produces<ExecHistory>();
        api.MapPut("/system/purgeaudit/{purge_id:long}", StopAsync).WithSummary("Stop the specific purge audit log execution").Produces(200);
        api.MapGet("/system/purgeaudit/{purge_id:long}/log", LogAsync).WithSummary("Get purge job log.").Produces<string>(200, "text/plain");
        api.MapGet("/system/purgeaudit/schedule", GetScheduleAsync).WithSummary("Get purge's schedule.").Produces<ExecHistory>();
        api.MapPost("/system/purgeaudit/schedule", CreateScheduleAsync).WithSummary("Create a purge job schedule.").Produces(201);
        api.MapPut("/system/purgeaudit/schedule", UpdateScheduleAsync).WithSummary("Update purge job's schedule.").Produces(200);
        return api;
    }

    private static async Task<IReadOnlyList<ExecHistory>> ListAsync(HttpContext context, IAuditPurgeStore store)
    {
        context.RequireSystem("purge-audit", Auth.Rbac.Verbs.List);
        var query = Paging.Parse(context, Fields);
        return Paging.Respond(context, query, await store.ListAsync(query, context.RequestAborted), ToDto);
    }

    private static async Task<ExecHistory> GetAsync(HttpContext context, long purge_id, IAuditPurgeStore store)
    {
        context.RequireSystem("purge-audit", Auth.Rbac.Verbs.Read);
        return ToDto(await store.GetAsync(purge_id, context.RequestAborted) ?? throw Harbor.NotFound($"purge {purge_id} not found"));
    }

    private static async Task<IResult> StopAsync(HttpContext context, long purge_id, IAuditPurgeStore store, AuditLog audit, TimeProvider clock)
    {
        var caller = context.RequireSystem("purge-audit", "stop");
        var run = await store.GetAsync(purge_id, context.RequestAborted) ?? throw Harbor.NotFound($"purge {purge_id} not found");
        if (run.Status == "Running") await store.FinishAsync(run.Id, "Stopped", run.Deleted, run.Log + "stopped by " + caller.Username + "\n", clock.GetUtcNow(), context.RequestAborted);
        await audit.RecordAsync(caller.Username!, null, $"purge {run.Id}", "purge_audit", "stop");
        return Results.Ok();
    }

    private static async Task<IResult> LogAsync(HttpContext context, long purge_id, IAuditPurgeStore store)
    {
        context.RequireSystem("purge-audit", Auth.Rbac.Verbs.Read);
        var run = await store.GetAsync(purge_id, context.RequestAborted) ?? throw Harbor.NotFound($"purge {purge_id} not found");
        return Results.Text(run.Log, "text/plain");
    }

    private static async Task<ExecHistory> GetScheduleAsync(HttpContext context, IAuditPurgeStore store, TimeProvider clock)
    {
        context.RequireSystem("purge-audit", Auth.Rbac.Verbs.Read);
        var s = await store.GetScheduleAsync(context.RequestAborted);
        if (s is null)
        {
            var now = clock.GetUtcNow();
            return new ExecHistory(0, JobName, "SCHEDULE", AuditPurgeParameters.Default.ToJson(), new ScheduleObj("None", null), null, false, now, now);
        }
        return new ExecHistory(1, JobName, "SCHEDULE", s.Parameters, new ScheduleObj(s.Type, s.Cron, s.NextRunAt), null, false, s.CreatedAt, s.UpdatedAt);
    }

    private static Task<IResult> CreateScheduleAsync(HttpContext context, PurgeScheduleRequest request, IAuditPurgeStore store, AuditPurgeService purge, AuditLog audit, TimeProvider clock) =>
        SaveAsync(context, request, store, purge, audit, clock, created: true);

    private static Task<IResult> UpdateScheduleAsync(HttpContext context, PurgeScheduleRequest request, IAuditPurgeStore store, AuditPurgeService purge, AuditLog audit, TimeProvider clock) =>
        SaveAsync(context, request, store, purge, audit, clock, created: false);

    /// <summary>
    /// A Manual schedule runs a purge right away (and leaves the stored schedule alone); any other
    /// type is stored with its parameters and its next run time.
    /// </summary>
    private static async Task<IResult> SaveAsync(HttpContext context, PurgeScheduleRequest request, IAuditPurgeStore store, AuditPurgeService purge,
        AuditLog audit, TimeProvider clock, bool created)
    {
        var caller = context.RequireSystem("purge-audit", created ? Auth.Rbac.Verbs.Create : Auth.Rbac.Verbs.Update);
        var parameters = Parameters(request.Parameters);
        var schedule = new JobSchedule(request.Schedule!.Type!, request.Schedule.Cron);
        if (schedule.Type == "Manual")
        {
            var run = await purge.RunAsync(AuditPurgeService.Manual, parameters, context.RequestAborted);
            await audit.RecordAsync(caller.Username!, null, $"purge {run.Id}", "purge_audit", "create");
            return context.Created($"{ManagementApi.Prefix}/system/purgeaudit/{run.Id}");
        }
        var now = clock.GetUtcNow();
        var existing = await store.GetScheduleAsync(context.RequestAborted);
        await store.SetScheduleAsync(new AuditPurgeScheduleRecord(schedule.Type, schedule.EffectiveCron is null ? null : schedule.Cron ?? schedule.EffectiveCron,
            parameters.ToJson(), schedule.NextAfter(now), existing?.CreatedAt ?? now, now), context.RequestAborted);
        await audit.RecordAsync(caller.Username!, null, "purge_audit_schedule", "schedule", created ? "create" : "update");
        return created ? context.Created($"{ManagementApi.Prefix}/system/purgeaudit/schedule") : Results.Ok();
    }

    /// <summary>Harbor's parameters (numbers and booleans may come as strings); 400 when unreadable.</summary>
    private static AuditPurgeParameters Parameters(JsonObject? body)
    {
        if (body is null) return AuditPurgeParameters.Default;
        var hours = AuditPurgeParameters.Default.AuditRetentionHour;
        if (body["audit_retention_hour"] is { } h)
        {
            var text = h.GetValueKind() == JsonValueKind.String ? h.GetValue<string>() : h.ToJsonString();
            if (!int.TryParse(text, out hours) || hours < 1 || hours > 24 * 365 * 10)
                throw Harbor.BadRequest("audit_retention_hour must be a whole number of hours from 1 to 87600");
        }
        var operations = body["include_operations"] is { } o
            ? o.GetValueKind() == JsonValueKind.String ? o.GetValue<string>() : throw Harbor.BadRequest("include_operations must be a comma-separated string")
            : "";
        if (operations.Length > 1024) throw Harbor.BadRequest("include_operations is too long");
        var dryRun = body["dry_run"] is { } d && (d.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when d.GetValue<string>() is "true" or "false" => d.GetValue<string>() == "true",
            _ => throw Harbor.BadRequest("dry_run must be true or false"),
        });
        return new AuditPurgeParameters(hours, operations, dryRun);
    }

    private static ExecHistory ToDto(AuditPurgeRecord r) =>
        new(r.Id, JobName, r.Trigger, r.Parameters, null, r.Status, false, r.CreatedAt, r.UpdatedAt);
}
