using System.Text.Json;

namespace Registry.Portal.Api.Models;

/// <summary>Harbor's <c>Label</c>.</summary>
public sealed record Label(long Id, string Name, string? Description, string? Color, string Scope, long ProjectId);

/// <summary>What the label forms post: the create and update body.</summary>
public sealed record LabelWrite(string Name, string Color, string Description, string Scope, long? ProjectId);

/// <summary>Harbor's retention policy, kept as the API returns it so that saving never drops a field the portal does not show.</summary>
public sealed record RetentionPolicyView(long Id, string? Algorithm, List<RetentionRuleView>? Rules, RetentionTriggerView? Trigger, RetentionScopeView? Scope)
{
    public string? Cron => Trigger?.Settings is { } s && s.TryGetValue("cron", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
}

public sealed record RetentionRuleView(int Id, int Priority, bool Disabled, string? Action, string? Template, Dictionary<string, JsonElement>? Params,
    List<RetentionSelectorView>? TagSelectors, Dictionary<string, List<RetentionSelectorView>>? ScopeSelectors);

public sealed record RetentionSelectorView(string? Kind, string? Decoration, string? Pattern, string? Extras);

public sealed record RetentionTriggerView(string? Kind, Dictionary<string, JsonElement>? Settings, Dictionary<string, JsonElement>? References);

public sealed record RetentionScopeView(string? Level, long Ref);

public sealed record RetentionExecution(long Id, long PolicyId, DateTimeOffset StartTime, DateTimeOffset? EndTime, string Status, string Trigger, bool DryRun);

public sealed record RetentionTask(long Id, long ExecutionId, string Repository, string Status, DateTimeOffset StartTime, DateTimeOffset? EndTime, int Total, int Retained);
