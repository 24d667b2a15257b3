using System.Text;
using FluentValidation;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;
using static Registry.Api.Auth.Rbac;
using static Registry.Grains.Policies.RetentionEvaluator;

namespace Registry.Api.Management;

public sealed record RetentionExecutionReq(bool? DryRun);

public sealed record RetentionOperation(string? Action);

public sealed record RetentionExecutionDto(long Id, long PolicyId, DateTimeOffset StartTime, DateTimeOffset? EndTime, string Status, string Trigger, bool DryRun);

public sealed record RetentionTaskDto(long Id, long ExecutionId, string Repository, string JobId, string Status, int StatusCode, long StatusRevision,
    DateTimeOffset StartTime, DateTimeOffset? EndTime, int Total, int Retained);

public sealed record RetentionRuleParamMetadata(string Type, string Unit, bool Required);

public sealed record RetentionRuleMetadata(string RuleTemplate, string DisplayText, string Action, IReadOnlyList<RetentionRuleParamMetadata> Params);

public sealed record RetentionSelectorMetadata(string DisplayText, string Kind, IReadOnlyList<string> Decorations);

public sealed record RetentionMetadata(IReadOnlyList<RetentionRuleMetadata> Templates, IReadOnlyList<RetentionSelectorMetadata> ScopeSelectors,
    IReadOnlyList<RetentionSelectorMetadata> TagSelectors);

/// <summary>Harbor's retention policy rules: up to 15 rules with known templates and valid selectors, a valid cron, a project scope.</summary>
public sealed class RetentionPolicyValidator : AbstractValidator<RetentionPolicy>
{
    public RetentionPolicyValidator()
    {
        RuleFor(p => p.Algorithm).Must(a => a is null or "or").WithMessage("algorithm must be \"or\"");
        RuleFor(p => p.Rules).Must(r => r is null || r.Count <= RetentionPolicy.MaxRules).WithMessage($"a policy has at most {RetentionPolicy.MaxRules} rules");
        RuleForEach(p => p.Rules).SetValidator(new RetentionRuleValidator());
        RuleFor(p => p.Scope).Must(s => s is { Level: "project", Ref: > 0 }).WithMessage("scope must be {\"level\":\"project\",\"ref\":<project id>}");
        RuleFor(p => p.Trigger).Must(t => t is null || t.Kind == "Schedule").WithMessage("trigger kind must be Schedule");
        RuleFor(p => p.Cron).Must(c => c is null || new JobSchedule("Custom", c).Validate() is null)
            .WithMessage(p => new JobSchedule("Custom", p.Cron).Validate() ?? "");
    }
}

public sealed class RetentionRuleValidator : AbstractValidator<RetentionRule>
{
    public RetentionRuleValidator()
    {
        RuleFor(r => r.Action).Must(a => a is null or "retain").WithMessage("rule action must be retain");
        RuleFor(r => r.Template).Must(t => t is not null && Templates.All.Contains(t))
            .WithMessage(r => $"unknown rule template '{r.Template}'; known: {string.Join(", ", Templates.All)}");
        RuleFor(r => r.Number).Must(n => n is >= 0 and <= 100_000).When(r => r.Template is not null and not Templates.Always)
            .WithMessage(r => $"params.{r.Template} must be a number from 0 to 100000");
        RuleFor(r => r.TagSelectors).NotEmpty().WithMessage("a rule needs tag_selectors");
        RuleForEach(r => r.TagSelectors).Must(s => s.Kind switch
        {
            "doublestar" => s.Decoration is "matches" or "excludes" && Doublestar.IsValid(s.Pattern ?? ""),
            "label" => s.Decoration is "withLabels" or "withoutLabels" && s.LabelNames.Count > 0,
            _ => false,
        }).WithMessage("tag selectors are doublestar (matches/excludes, a valid pattern) or label (withLabels/withoutLabels, label names)");
        RuleFor(r => r.ScopeSelectors).Must(s => s is not null && s.TryGetValue("repository", out var list) && list.Count > 0
                && s.Keys.All(k => k == "repository")
                && list.All(x => x.Kind == "doublestar" && x.Decoration is "repoMatches" or "repoExcludes" && Doublestar.IsValid(x.Pattern ?? "")))
            .WithMessage("scope_selectors.repository must hold doublestar selectors (repoMatches/repoExcludes) with valid patterns");
    }
}

/// <summary>
/// Harbor's tag retention: one policy per project (bound through the project's <c>retention_id</c>
/// metadata), run by hand, as a dry run, or on its cron; executions with one task (and log) per repository.
/// </summary>
public static class RetentionEndpoints
{
    private const string Execution = "/retentions/{id:long}/executions/{eid:long}";

    public static RouteGroupBuilder MapRetentionEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/retentions/metadatas", Metadata).WithSummary("Get Retention Metadatas").Produces<RetentionMetadata>();
        api.MapPost("/retentions", CreateAsync).WithSummary("Create Retention Policy").Produces(201);
        api.MapGet("/retentions/{id:long}", GetAsync).WithSummary("Get Retention Policy").Produces<RetentionPolicy>();
        api.MapPut("/retentions/{id:long}", UpdateAsync).WithSummary("Update Retention Policy").Produces(200);
        api.MapDelete("/retentions/{id:long}", DeleteAsync).WithSummary("Delete Retention Policy").Produces(200);
        api.MapPost("/retentions/{id:long}/executions", TriggerAsync).WithSummary("Trigger a Retention Execution").Produces(201).Produces(409);
        api.MapGet("/retentions/{id:long}/executions", ListExecutionsAsync).WithSummary("Get Retention executions").Produces<IReadOnlyList<RetentionExecutionDto>>();
        api.MapPatch(Execution, StopAsync).WithSummary("Stop a Retention execution").Produces(200);
        api.MapGet(Execution + "/tasks", ListTasksAsync).WithSummary("Get Retention tasks").Produces<IReadOnlyList<RetentionTaskDto>>();
        api.MapGet(Execution + "/tasks/{tid:long}", TaskLogAsync).WithSummary("Get Retention job task log").Produces<string>(200, "text/plain");
        return api;
    }

    private static RetentionMetadata Metadata(HttpContext context)
    {
        context.SignedIn();
        RetentionRuleParamMetadata Count(string unit) => new("int", unit, true);
        return new RetentionMetadata(
        [
            new(Templates.LatestPushedK, "the most recently pushed # artifacts", "retain", [Count("count")]),
            new(Templates.LatestPulledN, "the most recently pulled # artifacts", "retain", [Count("count")]),
            new(Templates.NDaysSinceLastPush, "pushed within the last # days", "retain", [Count("days")]),
            new(Templates.NDaysSinceLastPull, "pulled within the last # days", "retain", [Count("days")]),
            new(Templates.Always, "always", "retain", []),
        ],
        [new("Repositories", "doublestar", ["repoMatches", "repoExcludes"])],
        [new("Labels", "label", ["withLabels", "withoutLabels"]), new("Tags", "doublestar", ["matches", "excludes"])]);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, RetentionPolicy request, IRetentionStore store, TimeProvider clock, AuditLog audit)
    {
        var access = await context.ProjectAsync(request.Scope!.Ref.ToString(System.Globalization.CultureInfo.InvariantCulture));
        context.Require(access, Resources.TagRetention, Verbs.Create);
        var created = await store.CreatePolicyAsync(access.Project.Id, Normalize(request, 0, access.Project.Id).ToJson(), request.Cron, clock.GetUtcNow(), context.RequestAborted)
            ?? throw Harbor.Conflict($"project {access.Project.Name} already has a retention policy; update it instead");
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"retention {created.Id}", "retention", "create");
        return context.Created($"{ManagementApi.Prefix}/retentions/{created.Id}");
    }

    private static async Task<RetentionPolicy> GetAsync(HttpContext context, long id, IRetentionStore store)
    {
        var (policy, _) = await PolicyAsync(context, id, store, Verbs.Read);
        return RetentionPolicy.FromJson(policy.Policy) with { Id = policy.Id };
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, long id, RetentionPolicy request, IRetentionStore store, TimeProvider clock, AuditLog audit)
    {
        var (policy, access) = await PolicyAsync(context, id, store, Verbs.Update);
        if (request.Scope!.Ref != policy.ProjectId) throw Harbor.BadRequest("a retention policy cannot move to another project");
        if (!await store.UpdatePolicyAsync(policy.Id, Normalize(request, policy.Id, policy.ProjectId).ToJson(), request.Cron, clock.GetUtcNow(), context.RequestAborted))
            throw Harbor.NotFound($"retention policy {id} not found");
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"retention {policy.Id}", "retention", "update");
        return Results.Ok();
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, long id, IRetentionStore store, AuditLog audit)
    {
        var (policy, access) = await PolicyAsync(context, id, store, Verbs.Delete);
        if (!await store.DeletePolicyAsync(policy.Id, context.RequestAborted)) throw Harbor.NotFound($"retention policy {id} not found");
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"retention {policy.Id}", "retention", "delete");
        return Results.Ok();
    }

    private static async Task<IResult> TriggerAsync(HttpContext context, long id, RetentionExecutionReq request, IRetentionStore store, IGrainFactory grains, AuditLog audit)
    {
        var (policy, access) = await PolicyAsync(context, id, store, "operate");
        var caller = context.Caller();
        var execution = await grains.GetGrain<IRetentionGrain>(policy.Id).StartAsync(request.DryRun ?? false, "MANUAL", caller.Username ?? "anonymous");
        if (execution == 0) throw Harbor.Conflict($"retention policy {id} is already running");
        await audit.RecordAsync(caller.Username!, access.Project.Id, $"retention {policy.Id}", "retention", request.DryRun == true ? "dry-run" : "run");
        return context.Created($"{ManagementApi.Prefix}/retentions/{policy.Id}/executions/{execution}");
    }

    private static async Task<IReadOnlyList<RetentionExecutionDto>> ListExecutionsAsync(HttpContext context, long id, IRetentionStore store)
    {
        var (policy, _) = await PolicyAsync(context, id, store, Verbs.List);
        var query = Paging.Parse(context, []);
        var page = await store.ListExecutionsAsync(policy.Id, query.Offset, query.Limit, context.RequestAborted);
        return Paging.Respond(context, query, page, e => new RetentionExecutionDto(e.Id, e.PolicyId, e.StartTime, e.EndTime, e.Status, e.Trigger, e.DryRun));
    }

    private static async Task<IResult> StopAsync(HttpContext context, long id, long eid, RetentionOperation request, IRetentionStore store, IGrainFactory grains)
    {
        var (policy, _) = await PolicyAsync(context, id, store, "operate");
        if (request.Action != "stop") throw Harbor.BadRequest("action must be \"stop\"");
        var execution = await store.GetExecutionAsync(eid, context.RequestAborted);
        if (execution is null || execution.PolicyId != policy.Id) throw Harbor.NotFound($"execution {eid} not found");
        if (execution.Status != RetentionStatus.Running) return Results.Ok();
        await grains.GetGrain<IRetentionGrain>(policy.Id).StopAsync(eid);
        return Results.Ok();
    }

    private static async Task<IReadOnlyList<RetentionTaskDto>> ListTasksAsync(HttpContext context, long id, long eid, IRetentionStore store)
    {
        var (policy, _) = await PolicyAsync(context, id, store, Verbs.List);
        var execution = await store.GetExecutionAsync(eid, context.RequestAborted);
        if (execution is null || execution.PolicyId != policy.Id) throw Harbor.NotFound($"execution {eid} not found");
        var query = Paging.Parse(context, []);
        var page = await store.ListTasksAsync(eid, query.Offset, query.Limit, context.RequestAborted);
        return Paging.Respond(context, query, page, t => new RetentionTaskDto(t.Id, t.ExecutionId, t.Repository, $"retention-{t.ExecutionId}-{t.Id}", t.Status,
            t.Status == RetentionStatus.Failed ? 1 : 0, t.EndTime?.ToUnixTimeMilliseconds() ?? t.StartTime.ToUnixTimeMilliseconds(), t.StartTime, t.EndTime, t.Total, t.Retained));
    }

    private static async Task<IResult> TaskLogAsync(HttpContext context, long id, long eid, long tid, IRetentionStore store)
    {
        var (policy, _) = await PolicyAsync(context, id, store, Verbs.Read);
        var execution = await store.GetExecutionAsync(eid, context.RequestAborted);
        if (execution is null || execution.PolicyId != policy.Id) throw Harbor.NotFound($"execution {eid} not found");
        var log = await store.GetTaskLogAsync(eid, tid, context.RequestAborted) ?? throw Harbor.NotFound($"task {tid} not found");
        return Results.Text(log, "text/plain", Encoding.UTF8);
    }

    /// <summary>The policy and the caller's standing in its project; 404 when the caller cannot see the project.</summary>
    private static async Task<(RetentionPolicyRecord Policy, Auth.ProjectAccess Access)> PolicyAsync(HttpContext context, long id, IRetentionStore store, string verb)
    {
        var policy = await store.GetPolicyAsync(id, context.RequestAborted) ?? throw Harbor.NotFound($"retention policy {id} not found");
        Auth.ProjectAccess access;
        try
        {
            access = await context.ProjectAsync(policy.ProjectId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (HarborException e) when (e.Status == 404)
        {
            throw Harbor.NotFound($"retention policy {id} not found");
        }
        context.Require(access, Resources.TagRetention, verb);
        return (policy, access);
    }

    /// <summary>What is stored: rules numbered in order, the algorithm and scope spelled out.</summary>
    private static RetentionPolicy Normalize(RetentionPolicy policy, long id, long projectId) => policy with
    {
        Id = id,
        Algorithm = "or",
        Rules = [.. (policy.Rules ?? []).Select((r, i) => r with { Id = i + 1, Priority = r.Priority, Action = "retain" })],
        Scope = new RetentionScope("project", projectId),
    };
}
