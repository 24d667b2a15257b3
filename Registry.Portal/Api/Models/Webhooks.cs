namespace Registry.Portal.Api.Models;

/// <summary>Harbor's WebhookTargetObject.</summary>
public sealed record WebhookTarget(string Type, string Address, string? AuthHeader, bool SkipCertVerify, string? PayloadFormat);

/// <summary>Harbor's WebhookPolicy.</summary>
public sealed record WebhookPolicy(long Id, string Name, string? Description, long ProjectId, List<WebhookTarget> Targets, List<string> EventTypes,
    string? Creator, DateTimeOffset CreationTime, DateTimeOffset UpdateTime, bool Enabled);

/// <summary>What the portal sends to create or replace a policy.</summary>
public sealed record WebhookPolicySave(string Name, string? Description, List<WebhookTarget> Targets, List<string> EventTypes, bool Enabled);

/// <summary>One delivery (Harbor's Execution), with the target's response code in <c>extra_attrs</c>.</summary>
public sealed record WebhookExecution(long Id, string Status, string? StatusMessage, Dictionary<string, System.Text.Json.JsonElement>? ExtraAttrs,
    DateTimeOffset StartTime, DateTimeOffset? EndTime)
{
    public string? EventType => ExtraAttrs?.TryGetValue("event_type", out var e) == true ? e.GetString() : null;

    public int? ResponseCode => ExtraAttrs?.TryGetValue("response_code", out var c) == true && c.TryGetInt32(out var code) ? code : null;
}

/// <summary>Harbor's webhook event types, as people read them.</summary>
public static class WebhookEvents
{
    public static readonly IReadOnlyList<(string Type, string Label)> All =
    [
        ("PUSH_ARTIFACT", "Artifact pushed"), ("PULL_ARTIFACT", "Artifact pulled"), ("DELETE_ARTIFACT", "Artifact deleted"),
        ("QUOTA_EXCEED", "Quota exceeded"), ("QUOTA_WARNING", "Quota near its limit"), ("TAG_RETENTION", "Tag retention finished"),
        ("REPLICATION", "Replication finished"),
    ];

    public static string Label(string type) => All.FirstOrDefault(e => e.Type == type).Label ?? type;
}
