using FluentValidation;
using Registry.Api.Webhooks;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;
using static Registry.Api.Auth.Rbac;

namespace Registry.Api.Management;

/// <summary>Harbor's WebhookTargetObject.</summary>
public sealed record WebhookTargetDto(string? Type, string? Address, string? AuthHeader, bool? SkipCertVerify, string? PayloadFormat);

/// <summary>Harbor's WebhookPolicy: the POST and PUT body, and what GET returns.</summary>
public sealed record WebhookPolicyDto(
    long? Id, string? Name, string? Description, long? ProjectId, IReadOnlyList<WebhookTargetDto>? Targets, IReadOnlyList<string>? EventTypes,
    string? Creator, DateTimeOffset? CreationTime, DateTimeOffset? UpdateTime, bool? Enabled);

public sealed record WebhookLastTriggerDto(string PolicyName, string EventType, bool Enabled, DateTimeOffset CreationTime, DateTimeOffset? LastTriggerTime);

public sealed record PayloadFormatDto(string NotifyType, IReadOnlyList<string> Formats);

public sealed record SupportedWebhookEventTypes(IReadOnlyList<string> EventType, IReadOnlyList<string> NotifyType, IReadOnlyList<PayloadFormatDto> PayloadFormats);

public sealed record ExecutionMetrics(int TaskCount, int SuccessTaskCount, int ErrorTaskCount, int PendingTaskCount, int RunningTaskCount,
    int ScheduledTaskCount, int StoppedTaskCount);

/// <summary>Harbor's Execution: one delivery of one event to one target of the policy.</summary>
public sealed record WebhookExecutionDto(long Id, string VendorType, long VendorId, string Status, string StatusMessage, ExecutionMetrics Metrics,
    string Trigger, IReadOnlyDictionary<string, object?> ExtraAttrs, DateTimeOffset StartTime, DateTimeOffset? EndTime);

/// <summary>Harbor's Task: the delivery's attempts (<c>run_count</c>) and the target's response code, never its body.</summary>
public sealed record WebhookTaskDto(long Id, long ExecutionId, string Status, string StatusMessage, int RunCount, IReadOnlyDictionary<string, object?> ExtraAttrs,
    DateTimeOffset CreationTime, DateTimeOffset UpdateTime, DateTimeOffset StartTime, DateTimeOffset? EndTime);

/// <summary>Harbor's (deprecated) WebhookJob.</summary>
public sealed record WebhookJobDto(long Id, long PolicyId, string EventType, string NotifyType, string Status, string JobDetail, DateTimeOffset CreationTime, DateTimeOffset UpdateTime);

public sealed class WebhookPolicyValidator : AbstractValidator<WebhookPolicyDto>
{
    public WebhookPolicyValidator()
    {
        RuleFor(p => p.Name).NotEmpty().WithMessage("name is required").MaximumLength(255);
        RuleFor(p => p.Description).MaximumLength(1024);
        RuleFor(p => p.Targets).NotEmpty().WithMessage("at least one target is required")
            .Must(t => t is null || t.Count <= 10).WithMessage("at most 10 targets");
        RuleForEach(p => p.Targets).ChildRules(t =>
        {
            t.RuleFor(x => x.Type).Must(x => x is WebhookPayloads.Http or WebhookPayloads.Slack).WithMessage("target type must be http or slack");
            t.RuleFor(x => x.Address).Must(a => a is { Length: <= 2048 } && Uri.TryCreate(a, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" && u.Host.Length > 0)
                .WithMessage("target address must be an http:// or https:// URL");
            t.RuleFor(x => x.AuthHeader).MaximumLength(4096);
            t.RuleFor(x => x).Must(x => x.PayloadFormat is null || (x.Type is not null && WebhookPayloads.Formats.TryGetValue(x.Type, out var f) && f.Contains(x.PayloadFormat)))
                .WithMessage("payload_format must be Default or CloudEvents for http targets, Default for slack");
        });
        RuleFor(p => p.EventTypes).NotEmpty().WithMessage("at least one event type is required");
        RuleForEach(p => p.EventTypes).Must(e => EventTypes.All.Contains(e)).WithMessage(e => $"unknown event type; supported: {string.Join(", ", EventTypes.All)}");
    }
}

/// <summary>
/// Webhook policies of a project (project admins manage them, maintainers see them), their
/// executions and task logs, the supported event types and the last trigger times.
/// </summary>
public static class WebhookEndpoints
{
    private static readonly IReadOnlyList<Paging.Field> PolicyFields =
        [new("name"), new("enabled", Fuzzy: false, Sortable: false), new("creation_time", Filterable: false), new("update_time", Filterable: false)];

    private static readonly IReadOnlyList<Paging.Field> JobFields =
        [new("status", Fuzzy: false, Sortable: false), new("event_type", Fuzzy: false, Sortable: false), new("creation_time", Filterable: false), new("update_time", Filterable: false)];

    public static RouteGroupBuilder MapWebhookEndpoints(this RouteGroupBuilder api)
    {
        const string Policies = "/projects/{project_name_or_id}/webhook/policies";
        api.MapGet(Policies, ListAsync).WithSummary("List project webhook policies.").Produces<IReadOnlyList<WebhookPolicyDto>>();
        api.MapPost(Policies, CreateAsync).WithSummary("Create project webhook policy.").Produces(201);
        api.MapGet(Policies + "/{webhook_policy_id:long}", GetAsync).WithSummary("Get project webhook policy").Produces<WebhookPolicyDto>();
        api.MapPut(Policies + "/{webhook_policy_id:long}", UpdateAsync).WithSummary("Update webhook policy of a project.").Produces(200);
        api.MapDelete(Policies + "/{webhook_policy_id:long}", DeleteAsync).WithSummary("Delete webhook policy of a project").Produces(200);
        api.MapGet(Policies + "/{webhook_policy_id:long}/executions", ExecutionsAsync)
            .WithSummary("List executions for a specific webhook policy").Produces<IReadOnlyList<WebhookExecutionDto>>();
        api.MapGet(Policies + "/{webhook_policy_id:long}/executions/{execution_id:long}/tasks", TasksAsync)
            .WithSummary("List tasks for a specific webhook execution").Produces<IReadOnlyList<WebhookTaskDto>>();
        api.MapGet(Policies + "/{webhook_policy_id:long}/executions/{execution_id:long}/tasks/{task_id:long}/log", LogAsync)
            .WithSummary("Get logs for a specific webhook task").Produces<string>(200, "text/plain");
        api.MapGet("/projects/{project_name_or_id}/webhook/lasttrigger", LastTriggerAsync)
            .WithSummary("Get project webhook policy last trigger info").Produces<IReadOnlyList<WebhookLastTriggerDto>>();
        api.MapGet("/projects/{project_name_or_id}/webhook/jobs", JobsAsync).WithSummary("List project webhook jobs").Produces<IReadOnlyList<WebhookJobDto>>();
        api.MapGet("/projects/{project_name_or_id}/webhook/events", EventsAsync)
            .WithSummary("Get supported event types and notify types.").Produces<SupportedWebhookEventTypes>();
        return api;
    }

    private static async Task<Auth.ProjectAccess> AccessAsync(HttpContext context, string project, string action)
    {
        var access = await context.ProjectAsync(project);
        context.Require(access, Resources.Webhook, action);
        return access;
    }

    private static async Task<IReadOnlyList<WebhookPolicyDto>> ListAsync(HttpContext context, string project_name_or_id, IWebhookStore store)
    {
        var access = await AccessAsync(context, project_name_or_id, Verbs.List);
        var query = Paging.Parse(context, PolicyFields);
        return Paging.Respond(context, query, await store.ListPoliciesAsync(access.Project.Id, query, context.RequestAborted), ToDto);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, string project_name_or_id, WebhookPolicyDto request, IWebhookStore store,
        WebhookSender sender, AuditLog audit, TimeProvider clock)
    {
        var access = await AccessAsync(context, project_name_or_id, Verbs.Create);
        var targets = await CheckTargetsAsync(context, request.Targets!, sender);
        var now = clock.GetUtcNow();
        var caller = context.Caller();
        var created = await store.CreatePolicyAsync(new WebhookPolicyRecord(0, access.Project.Id, request.Name!.Trim(), request.Description ?? "", targets,
            [.. request.EventTypes!.Distinct()], request.Enabled ?? true, caller.Username ?? "", now, now), context.RequestAborted)
            ?? throw Harbor.Conflict($"a webhook policy named {request.Name} already exists in project {access.Project.Name}");
        await audit.RecordAsync(caller.Username!, access.Project.Id, created.Name, "webhook_policy", "create");
        return context.Created($"{ManagementApi.Prefix}/projects/{project_name_or_id}/webhook/policies/{created.Id}");
    }

    private static async Task<WebhookPolicyDto> GetAsync(HttpContext context, string project_name_or_id, long webhook_policy_id, IWebhookStore store)
    {
        var access = await AccessAsync(context, project_name_or_id, Verbs.Read);
        return ToDto(await PolicyAsync(store, access, webhook_policy_id, context));
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, string project_name_or_id, long webhook_policy_id, WebhookPolicyDto request,
        IWebhookStore store, WebhookSender sender, AuditLog audit, TimeProvider clock)
    {
        var access = await AccessAsync(context, project_name_or_id, Verbs.Update);
        var policy = await PolicyAsync(store, access, webhook_policy_id, context);
        var targets = await CheckTargetsAsync(context, request.Targets!, sender);
        try
        {
            await store.UpdatePolicyAsync(policy with
            {
                Name = request.Name!.Trim(),
                Description = request.Description ?? policy.Description,
                Targets = targets,
                EventTypes = [.. request.EventTypes!.Distinct()],
                Enabled = request.Enabled ?? policy.Enabled,
                UpdatedAt = clock.GetUtcNow(),
            }, context.RequestAborted);
        }
        catch (InvalidOperationException e)
        {
            throw Harbor.Conflict(e.Message);
        }
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, request.Name!, "webhook_policy", "update");
        return Results.Ok();
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string project_name_or_id, long webhook_policy_id, IWebhookStore store, AuditLog audit)
    {
        var access = await AccessAsync(context, project_name_or_id, Verbs.Delete);
        var policy = await PolicyAsync(store, access, webhook_policy_id, context);
        await store.DeletePolicyAsync(access.Project.Id, policy.Id, context.RequestAborted);
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, policy.Name, "webhook_policy", "delete");
        return Results.Ok();
    }

    private static async Task<IReadOnlyList<WebhookExecutionDto>> ExecutionsAsync(HttpContext context, string project_name_or_id, long webhook_policy_id, IWebhookStore store)
    {
        var access = await AccessAsync(context, project_name_or_id, Verbs.Read);
        var policy = await PolicyAsync(store, access, webhook_policy_id, context);
        var query = Paging.Parse(context, JobFields);
        return Paging.Respond(context, query, await store.ListJobsAsync(access.Project.Id, policy.Id, query, context.RequestAborted), j => ToExecution(j, policy));
    }

    private static async Task<IReadOnlyList<WebhookTaskDto>> TasksAsync(HttpContext context, string project_name_or_id, long webhook_policy_id, long execution_id, IWebhookStore store)
    {
        var access = await AccessAsync(context, project_name_or_id, Verbs.Read);
        var policy = await PolicyAsync(store, access, webhook_policy_id, context);
        var job = await store.GetJobAsync(access.Project.Id, policy.Id, execution_id, context.RequestAborted)
            ?? throw Harbor.NotFound($"execution {execution_id} not found");
        context.Response.Headers["X-Total-Count"] = "1";
        return [ToTask(job, policy)];
    }

    private static async Task<IResult> LogAsync(HttpContext context, string project_name_or_id, long webhook_policy_id, long execution_id, long task_id, IWebhookStore store)
    {
        var access = await AccessAsync(context, project_name_or_id, Verbs.Read);
        var policy = await PolicyAsync(store, access, webhook_policy_id, context);
        var job = task_id == execution_id ? await store.GetJobAsync(access.Project.Id, policy.Id, execution_id, context.RequestAborted) : null;
        return job is null ? throw Harbor.NotFound($"task {task_id} not found") : Results.Text(job.Log, "text/plain");
    }

    private static async Task<IReadOnlyList<WebhookLastTriggerDto>> LastTriggerAsync(HttpContext context, string project_name_or_id, IWebhookStore store)
    {
        var access = await AccessAsync(context, project_name_or_id, Verbs.Read);
        return [.. (await store.LastTriggersAsync(access.Project.Id, context.RequestAborted))
            .Select(t => new WebhookLastTriggerDto(t.PolicyName, t.EventType, t.Enabled, t.CreatedAt, t.LastTriggerAt))];
    }

    private static async Task<IReadOnlyList<WebhookJobDto>> JobsAsync(HttpContext context, string project_name_or_id, long? policy_id, string[]? status, IWebhookStore store)
    {
        var access = await AccessAsync(context, project_name_or_id, Verbs.List);
        if (policy_id is null) throw Harbor.BadRequest("policy_id is required");
        var policy = await PolicyAsync(store, access, policy_id.Value, context);
        var extra = status is { Length: > 0 } ? new[] { new ListFilter("status", FilterKind.In, Values: status) } : null;
        var query = Paging.Parse(context, JobFields, extra);
        return Paging.Respond(context, query, await store.ListJobsAsync(access.Project.Id, policy.Id, query, context.RequestAborted),
            j => new WebhookJobDto(j.Id, j.PolicyId, j.EventType, j.NotifyType, j.Status, j.Payload, j.CreatedAt, j.UpdatedAt));
    }

    private static async Task<SupportedWebhookEventTypes> EventsAsync(HttpContext context, string project_name_or_id)
    {
        await AccessAsync(context, project_name_or_id, Verbs.Read);
        return new SupportedWebhookEventTypes(EventTypes.All, [WebhookPayloads.Http, WebhookPayloads.Slack],
            [.. WebhookPayloads.Formats.Select(f => new PayloadFormatDto(f.Key, f.Value))]);
    }

    private static async Task<WebhookPolicyRecord> PolicyAsync(IWebhookStore store, Auth.ProjectAccess access, long id, HttpContext context) =>
        await store.GetPolicyAsync(access.Project.Id, id, context.RequestAborted) ?? throw Harbor.NotFound($"webhook policy {id} not found");

    /// <summary>
    /// The targets as stored, after the SSRF guard: an address that is, or resolves to, an internal
    /// one is a 400 unless allowlisted (an unresolvable name is accepted and checked again at send time).
    /// </summary>
    private static async Task<IReadOnlyList<WebhookTarget>> CheckTargetsAsync(HttpContext context, IReadOnlyList<WebhookTargetDto> targets, WebhookSender sender)
    {
        var allowlist = await sender.AllowlistAsync(context.RequestAborted);
        var result = new List<WebhookTarget>();
        foreach (var t in targets)
        {
            var uri = new Uri(t.Address!);
            try
            {
                await TargetGuard.ResolveAsync(uri.Host, allowlist, context.RequestAborted);
            }
            catch (TargetRefusedException e) when (e.Blocked)
            {
                throw Harbor.BadRequest(e.Message);
            }
            catch (TargetRefusedException)
            {
            }
            result.Add(new WebhookTarget(t.Type!, t.Address!, string.IsNullOrEmpty(t.AuthHeader) ? null : t.AuthHeader, t.SkipCertVerify ?? false,
                t.PayloadFormat ?? WebhookPayloads.Default));
        }
        return result;
    }

    private static WebhookPolicyDto ToDto(WebhookPolicyRecord p) => new(p.Id, p.Name, p.Description, p.ProjectId,
        [.. p.Targets.Select(t => new WebhookTargetDto(t.Type, t.Address, t.AuthHeader, t.SkipCertVerify, t.PayloadFormat))],
        p.EventTypes, p.Creator, p.CreatedAt, p.UpdatedAt, p.Enabled);

    private static bool Finished(WebhookJobRecord j) => j.Status is WebhookJobStatus.Success or WebhookJobStatus.Error or WebhookJobStatus.Stopped;

    private static Dictionary<string, object?> Attributes(WebhookJobRecord j, WebhookPolicyRecord policy)
    {
        var attributes = new Dictionary<string, object?>
        {
            ["event_type"] = j.EventType,
            ["notify_type"] = j.NotifyType,
            ["event_id"] = j.EventId,
        };
        if (j.TargetIndex < policy.Targets.Count) attributes["address"] = policy.Targets[j.TargetIndex].Address;
        if (j.ResponseCode is { } code) attributes["response_code"] = code;
        return attributes;
    }

    private static WebhookExecutionDto ToExecution(WebhookJobRecord j, WebhookPolicyRecord policy) => new(j.Id, "WEBHOOK", j.PolicyId, j.Status, j.Message,
        new ExecutionMetrics(1, j.Status == WebhookJobStatus.Success ? 1 : 0, j.Status == WebhookJobStatus.Error ? 1 : 0,
            j.Status == WebhookJobStatus.Pending ? 1 : 0, j.Status == WebhookJobStatus.Running ? 1 : 0, 0, j.Status == WebhookJobStatus.Stopped ? 1 : 0),
        "EVENT", Attributes(j, policy), j.CreatedAt, Finished(j) ? j.UpdatedAt : null);

    private static WebhookTaskDto ToTask(WebhookJobRecord j, WebhookPolicyRecord policy) => new(j.Id, j.Id, j.Status, j.Message, j.Attempts,
        Attributes(j, policy), j.CreatedAt, j.UpdatedAt, j.CreatedAt, Finished(j) ? j.UpdatedAt : null);
}
