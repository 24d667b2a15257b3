using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Grains.Policies;

/// <summary>Harbor's event types, as webhook policies name them.</summary>
public static class EventTypes
{
    public const string PushArtifact = "PUSH_ARTIFACT";
    public const string PullArtifact = "PULL_ARTIFACT";
    public const string DeleteArtifact = "DELETE_ARTIFACT";
    public const string QuotaExceed = "QUOTA_EXCEED";
    public const string QuotaWarning = "QUOTA_WARNING";
    public const string TagRetention = "TAG_RETENTION";
    public const string Replication = "REPLICATION";

    public static readonly IReadOnlyList<string> All = [PushArtifact, PullArtifact, DeleteArtifact, QuotaExceed, QuotaWarning, TagRetention, Replication];
}

/// <summary>
/// Something that happened in a project, as written to the <c>outbox</c> table (in the same
/// transaction as the change when there is one) and read by whoever delivers events (webhooks).
/// The row's <c>payload</c> is this record as JSON (<see cref="ToJson"/>). <see cref="Detail"/>
/// carries type-specific values, e.g. <c>used</c>/<c>limit</c> for quota events or a retention
/// execution's id and counts.
/// </summary>
public sealed record RegistryEvent(
    string Type,
    DateTimeOffset OccurAt,
    string Operator,
    long ProjectId,
    string Project,
    string? Repository = null,
    string? Digest = null,
    IReadOnlyList<string>? Tags = null,
    string? MediaType = null,
    long? Size = null,
    IReadOnlyDictionary<string, string>? Detail = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RegistryEvent FromJson(string json) => JsonSerializer.Deserialize<RegistryEvent>(json, Json)!;
}
