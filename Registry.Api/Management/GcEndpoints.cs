using System.Text.Json;
using FluentValidation;
using Registry.Api.Auth;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Api.Management;

/// <summary>Harbor's schedule object; <c>next_scheduled_time</c> is read-only.</summary>
public sealed record ScheduleObj(string? Type, string? Cron, DateTimeOffset? NextScheduledTime = null);

/// <summary>A GC run (or, from <c>/system/gc/schedule</c>, the schedule) as Harbor's <c>GCHistory</c>; the counters are ours.</summary>
public sealed record GcHistoryDto(
    long Id, string JobName, string JobKind, string JobParameters, ScheduleObj? Schedule, string JobStatus, bool Deleted,
    DateTimeOffset CreationTime, DateTimeOffset UpdateTime, long? BlobsDeleted = null, long? FreedSpace = null, long? ManifestsDeleted = null,
    DateTimeOffset? EndTime = null);

/// <summary>Harbor's GC job parameters; <c>time_window</c> (hours, default 2) protects recently linked blobs.</summary>
public sealed record GcParametersBody(bool? DeleteUntagged, bool? DryRun, int? Workers, int? TimeWindow);

/// <summary>Harbor's <c>Schedule</c> body for <c>/system/gc/schedule</c>.</summary>
public sealed record GcScheduleRequest(ScheduleObj? Schedule, GcParametersBody? Parameters);

public sealed class GcScheduleRequestValidator : AbstractValidator<GcScheduleRequest>
{
    public GcScheduleRequestValidator()
    {
        RuleFor(r => r.Schedule).NotNull().WithMessage("schedule is required");
        RuleFor(r => r.Schedule!.Type).NotEmpty().WithMessage("schedule.type is required").When(r => r.Schedule is not null);
        RuleFor(r => r.Schedule!).Must(s => new JobSchedule(s.Type!, s.Cron).Validate() is null)
            .WithMessage(r => new JobSchedule(r.Schedule!.Type!, r.Schedule.Cron).Validate()!)
            .When(r => !string.IsNullOrEmpty(r.Schedule?.Type));
        RuleFor(r => r.Parameters!.Workers).InclusiveBetween(1, GcParameters.MaxWorkers)
            .WithMessage($"workers must be from 1 to {GcParameters.MaxWorkers}").When(r => r.Parameters?.Workers is not null);
        RuleFor(r => r.Parameters!.TimeWindow).InclusiveBetween(0, 24 * 365)
            .WithMessage("time_window must be a number of hours from 0").When(r => r.Parameters?.TimeWindow is not null);
    }
}

/// <summary>
/// Harbor's garbage collection API (<c>/system/gc</c>): history, status, log, stop, and the
/// schedule, whose <c>Manual</c> type runs a collection now. System administrators only.
/// </summary>
public static class GcEndpoints
{
    private const string Resource = "garbage-collection";
    private const string JobName = "GARBAGE_COLLECTION";

    public static RouteGroupBuilder MapGcEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/system/gc", ListAsync).WithSummary("Get gc results.").Produces<IReadOnlyList<GcHistoryDto>>();
        api.MapGet("/system/gc/{gc_id:long}", GetAsync).WithSummary("Get gc status.").Produces<GcHistoryDto>().Produces(404);
        api.MapPut("/system/gc/{gc_id:long}", StopAsync).WithSummary("Stop the specific GC execution").Produces(200).Produces(404).Produces(409);
        api.MapGet("/system/gc/{gc_id:long}/log", LogAsync).WithSummary("Get gc job log.").Produces<string>(200, "text/plain").Produces(404);
        api.MapGet("/system/gc/schedule", GetScheduleAsync).WithSummary("Get gc's schedule.").Produces<GcHistoryDto>();
        api.MapPost("/system/gc/schedule", CreateScheduleAsync).WithSummary("Create a gc schedule.").Produces(201).Produces(400).Produces(409);
        api.MapPut("/system/gc/schedule", UpdateScheduleAsync).WithSummary("Update gc's schedule.").Produces(200).Produces(400).Produces(409);
        return api;
    }

    private static async Task<IReadOnlyList<GcHistoryDto>> ListAsync(HttpContext context, IGcStore store)
    {
        context.RequireSystem(Resource, Rbac.Verbs.List);
        var query = Paging.Parse(context, []);
        var (runs, total) = await store.ListRunsAsync(query.Offset, query.Limit, context.RequestAborted);
        return Paging.Respond(context, query, new Page<GcRunRecord>(runs, total), ToDto);
    }

    private static async Task<GcHistoryDto> GetAsync(HttpContext context, IGcStore store, long gc_id)
    {
        context.RequireSystem(Resource, Rbac.Verbs.Read);
        return ToDto(await store.GetRunAsync(gc_id, context.RequestAborted) ?? throw Harbor.NotFound($"gc {gc_id} not found"));
    }

    private static async Task<IResult> LogAsync(HttpContext context, IGcStore store, long gc_id)
    {
        context.RequireSystem(Resource, Rbac.Verbs.Read);
        var log = await store.GetRunLogAsync(gc_id, context.RequestAborted) ?? throw Harbor.NotFound($"gc {gc_id} not found");
        return Results.Text(log, "text/plain; charset=utf-8");
    }

    private static async Task<IResult> StopAsync(HttpContext context, IGcStore store, IGrainFactory grains, AuditLog audit, long gc_id)
    {
        var caller = context.RequireSystem(Resource, "stop");
        var run = await store.GetRunAsync(gc_id, context.RequestAborted) ?? throw Harbor.NotFound($"gc {gc_id} not found");
        if (!await grains.GetGrain<IGcGrain>(IGcGrain.Key).StopAsync(gc_id))
            throw Harbor.Conflict($"gc {gc_id} is not running (status {run.Status})");
        await audit.RecordAsync(caller.Username!, null, $"gc/{gc_id}", Resource, "stop");
        return Results.Ok();
    }

    private static async Task<GcHistoryDto> GetScheduleAsync(HttpContext context, IGcStore store)
    {
        context.RequireSystem(Resource, Rbac.Verbs.Read);
        var s = await store.GetScheduleAsync(context.RequestAborted);
        if (s is null)
        {
            var epoch = DateTimeOffset.UnixEpoch;
            return new GcHistoryDto(0, JobName, "SCHEDULE", Parameters(false, false, 1, GcParameters.DefaultTimeWindowHours),
                new ScheduleObj("None", null), "", false, epoch, epoch);
        }
        return new GcHistoryDto(0, JobName, "SCHEDULE", Parameters(s.DryRun, s.DeleteUntagged, s.Workers, s.TimeWindowHours),
            new ScheduleObj(s.Type, s.Cron, s.NextRunAt), "", false, s.CreatedAt, s.UpdatedAt);
    }

    /// <summary>POST: <c>Manual</c> runs now (201, Location of the run); any other type creates the schedule (409 when one exists).</summary>
    private static async Task<IResult> CreateScheduleAsync(HttpContext context, IGcStore store, IGrainFactory grains, AuditLog audit, GcScheduleRequest request)
    {
        var caller = context.RequireSystem(Resource, Rbac.Verbs.Create);
        if (request.Schedule!.Type == "Manual") return await RunNowAsync(context, grains, audit, caller, request.Parameters);
        if (await store.GetScheduleAsync(context.RequestAborted) is { Type: not "None" } existing)
            throw Harbor.Conflict($"a gc schedule exists ({existing.Type}); update it with PUT");
        await SaveScheduleAsync(grains, audit, caller, request);
        return context.Created($"{ManagementApi.Prefix}/system/gc/schedule");
    }

    /// <summary>PUT: sets (or, with <c>None</c>, removes) the schedule; <c>Manual</c> runs now.</summary>
    private static async Task<IResult> UpdateScheduleAsync(HttpContext context, IGrainFactory grains, AuditLog audit, GcScheduleRequest request)
    {
        var caller = context.RequireSystem(Resource, Rbac.Verbs.Update);
        if (request.Schedule!.Type == "Manual")
        {
            await RunNowAsync(context, grains, audit, caller, request.Parameters);
            return Results.Ok();
        }
        await SaveScheduleAsync(grains, audit, caller, request);
        return Results.Ok();
    }

    private static async Task<IResult> RunNowAsync(HttpContext context, IGrainFactory grains, AuditLog audit, Caller caller, GcParametersBody? body)
    {
        var id = await grains.GetGrain<IGcGrain>(IGcGrain.Key).StartAsync(ToParameters(body), "MANUAL")
            ?? throw Harbor.Conflict("a garbage collection is already running; stop it or wait for it to end");
        await audit.RecordAsync(caller.Username!, null, $"gc/{id}", Resource, "create");
        return context.Created($"{ManagementApi.Prefix}/system/gc/{id}");
    }

    private static async Task SaveScheduleAsync(IGrainFactory grains, AuditLog audit, Caller caller, GcScheduleRequest request)
    {
        var schedule = request.Schedule!;
        var cron = schedule.Type is "Custom" or "Schedule" ? schedule.Cron : new JobSchedule(schedule.Type!, null).EffectiveCron;
        await grains.GetGrain<IGcGrain>(IGcGrain.Key).SetScheduleAsync(schedule.Type!, cron, ToParameters(request.Parameters));
        await audit.RecordAsync(caller.Username!, null, "gc/schedule", Resource, "update");
    }

    private static GcParameters ToParameters(GcParametersBody? body) =>
        new(body?.DryRun ?? false, body?.DeleteUntagged ?? false, body?.Workers ?? 1, body?.TimeWindow ?? GcParameters.DefaultTimeWindowHours);

    private static string Parameters(bool dryRun, bool deleteUntagged, int workers, int timeWindow) =>
        JsonSerializer.Serialize(new Dictionary<string, object> { ["delete_untagged"] = deleteUntagged, ["dry_run"] = dryRun, ["workers"] = workers, ["time_window"] = timeWindow });

    private static GcHistoryDto ToDto(GcRunRecord r) => new(
        r.Id, JobName, r.JobKind, Parameters(r.DryRun, r.DeleteUntagged, r.Workers, r.TimeWindowHours),
        new ScheduleObj(r.JobKind == "MANUAL" ? "Manual" : "Schedule", null), r.Status, false, r.CreatedAt, r.UpdatedAt,
        r.BlobsDeleted, r.BytesFreed, r.ManifestsDeleted, r.EndedAt);
}
