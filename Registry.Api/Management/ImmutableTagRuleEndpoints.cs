using System.Collections.Immutable;
using FluentValidation;
using Registry.Api.Auth;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;
using static Registry.Api.Auth.Rbac;

namespace Registry.Api.Management;

/// <summary>Harbor's ImmutableSelector: kind "doublestar", a decoration and a pattern.</summary>
public sealed record ImmutableSelector(string? Kind, string? Decoration, string? Pattern, string? Extras = null);

/// <summary>Harbor's ImmutableRule, as listed and as sent (id, action and template are Harbor's fixed values on the way out).</summary>
public sealed record ImmutableRuleDto(
    long Id, int Priority, bool Disabled, string? Action, string? Template, Dictionary<string, object>? Params,
    IReadOnlyList<ImmutableSelector>? TagSelectors, Dictionary<string, IReadOnlyList<ImmutableSelector>>? ScopeSelectors)
{
    public ImmutableRule ToRule(long id) => new(id, Priority, Disabled,
        [.. TagSelectors!.Select(s => new RuleSelector(s.Kind!, s.Decoration!, s.Pattern!))],
        [.. ScopeSelectors!["repository"].Select(s => new RuleSelector(s.Kind!, s.Decoration!, s.Pattern!))]);

    public static ImmutableRuleDto From(ImmutableRule rule) => new(rule.Id, rule.Priority, rule.Disabled, "immutable", "immutable_template", [],
        [.. rule.TagSelectors.Select(s => new ImmutableSelector(s.Kind, s.Decoration, s.Pattern))],
        new() { ["repository"] = [.. rule.ScopeSelectors.Select(s => new ImmutableSelector(s.Kind, s.Decoration, s.Pattern))] });
}

public sealed class ImmutableRuleDtoValidator : AbstractValidator<ImmutableRuleDto>
{
    public ImmutableRuleDtoValidator()
    {
        RuleFor(r => r.TagSelectors).NotEmpty().WithMessage("tag_selectors needs one selector, e.g. {\"kind\":\"doublestar\",\"decoration\":\"matches\",\"pattern\":\"v*\"}");
        RuleForEach(r => r.TagSelectors).Must(s => IsValid(s, repository: false))
            .WithMessage("a tag selector needs kind \"doublestar\", decoration \"matches\" or \"excludes\" and a valid doublestar pattern");
        RuleFor(r => r.ScopeSelectors).Must(s => s is not null && s.Count == 1 && s.TryGetValue("repository", out var list) && list is { Count: > 0 })
            .WithMessage("scope_selectors needs \"repository\" with one selector, e.g. {\"repository\":[{\"kind\":\"doublestar\",\"decoration\":\"repoMatches\",\"pattern\":\"**\"}]}");
        RuleFor(r => r.ScopeSelectors).Must(s => s!["repository"].All(x => IsValid(x, repository: true)))
            .When(r => r.ScopeSelectors is { Count: 1 } s && s.TryGetValue("repository", out var list) && list is { Count: > 0 })
            .WithMessage("a repository selector needs kind \"doublestar\", decoration \"repoMatches\" or \"repoExcludes\" and a valid doublestar pattern");
        RuleFor(r => r.Action).Must(a => a is null or "" or "immutable").WithMessage("action must be \"immutable\"");
        RuleFor(r => r.Template).Must(t => t is null or "" or "immutable_template").WithMessage("template must be \"immutable_template\"");
    }

    private static bool IsValid(ImmutableSelector? s, bool repository) =>
        s is not null && s.Kind == "doublestar" && s.Decoration is { } d && RuleSelector.IsValidDecoration(d, repository)
        && s.Pattern is { } p && Doublestar.IsValid(p);
}

/// <summary>
/// Harbor's immutable tag rules of a project. The rules live in the metadata store and are cached
/// by the project's grain, which every push and delete asks; each change here refreshes that grain,
/// so the next push on any node obeys it.
/// </summary>
public static class ImmutableTagRuleEndpoints
{
    /// <summary>Harbor's limit of rules per project.</summary>
    public const int MaxRules = 15;

    private static readonly IReadOnlyList<Paging.Field> Fields = [new("id", Fuzzy: false), new("priority", Fuzzy: false), new("disabled", Fuzzy: false)];

    public static RouteGroupBuilder MapImmutableTagRuleEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/projects/{project_name_or_id}/immutabletagrules", ListAsync)
            .WithSummary("List all immutable tag rules of current project").Produces<IReadOnlyList<ImmutableRuleDto>>();
        api.MapPost("/projects/{project_name_or_id}/immutabletagrules", CreateAsync)
            .WithSummary("Add an immutable tag rule to current project").Produces(201).Produces(404);
        api.MapPut("/projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}", UpdateAsync)
            .WithSummary("Update the immutable tag rule or enable or disable the rule").Produces(200).Produces(404);
        api.MapDelete("/projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}", DeleteAsync)
            .WithSummary("Delete the immutable tag rule.").Produces(200).Produces(404);
        return api;
    }

    private static async Task<IReadOnlyList<ImmutableRuleDto>> ListAsync(HttpContext context, string project_name_or_id, IGovernanceStore store)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.ImmutableTag, Verbs.List);
        var query = Paging.Parse(context, Fields);
        var rules = await store.ListImmutableRulesAsync(access.Project.Id, context.RequestAborted);
        return InMemory.Page(context, query, rules.Select(ImmutableRuleDto.From), (r, field) => field switch
        {
            "id" => r.Id,
            "priority" => r.Priority,
            "disabled" => r.Disabled ? "true" : "false",
            _ => null,
        }, defaultSort: r => r.Id, defaultDescending: false);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, string project_name_or_id, ImmutableRuleDto request, IGovernanceStore store,
        AuditLog audit, IGrainFactory grains)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.ImmutableTag, Verbs.Create);
        var rule = request.ToRule(0);
        var existing = await store.ListImmutableRulesAsync(access.Project.Id, context.RequestAborted);
        if (existing.Any(r => SameSelectors(r, rule))) throw Harbor.Conflict("an immutable tag rule with the same selectors already exists");
        var id = await store.CreateImmutableRuleAsync(access.Project.Id, rule, MaxRules, context.RequestAborted)
            ?? throw Harbor.BadRequest($"a project has at most {MaxRules} immutable tag rules");
        await grains.GetGrain<IProjectGrain>(access.Project.Name).RefreshAsync();
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"{access.Project.Name}/immutabletagrules/{id}", "immutable_tag_rule", "create");
        return context.Created($"{ManagementApi.Prefix}/projects/{access.Project.Id}/immutabletagrules/{id}");
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, string project_name_or_id, long immutable_rule_id, ImmutableRuleDto request,
        IGovernanceStore store, AuditLog audit, IGrainFactory grains)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.ImmutableTag, Verbs.Update);
        var rule = request.ToRule(immutable_rule_id);
        var existing = await store.ListImmutableRulesAsync(access.Project.Id, context.RequestAborted);
        if (existing.All(r => r.Id != immutable_rule_id)) throw Harbor.NotFound($"immutable tag rule {immutable_rule_id} not found");
        if (existing.Any(r => r.Id != immutable_rule_id && SameSelectors(r, rule))) throw Harbor.Conflict("an immutable tag rule with the same selectors already exists");
        if (!await store.UpdateImmutableRuleAsync(access.Project.Id, rule, context.RequestAborted))
            throw Harbor.NotFound($"immutable tag rule {immutable_rule_id} not found");
        await grains.GetGrain<IProjectGrain>(access.Project.Name).RefreshAsync();
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"{access.Project.Name}/immutabletagrules/{immutable_rule_id}", "immutable_tag_rule", "update");
        return Results.Ok();
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string project_name_or_id, long immutable_rule_id, IGovernanceStore store,
        AuditLog audit, IGrainFactory grains)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.ImmutableTag, Verbs.Delete);
        if (!await store.DeleteImmutableRuleAsync(access.Project.Id, immutable_rule_id, context.RequestAborted))
            throw Harbor.NotFound($"immutable tag rule {immutable_rule_id} not found");
        await grains.GetGrain<IProjectGrain>(access.Project.Name).RefreshAsync();
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"{access.Project.Name}/immutabletagrules/{immutable_rule_id}", "immutable_tag_rule", "delete");
        return Results.Ok();
    }

    private static bool SameSelectors(ImmutableRule a, ImmutableRule b) =>
        a.TagSelectors.SequenceEqual(b.TagSelectors) && a.ScopeSelectors.SequenceEqual(b.ScopeSelectors);
}
