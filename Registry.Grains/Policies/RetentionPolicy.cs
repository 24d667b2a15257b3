using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Registry.Grains.Policies;

/// <summary>
/// Harbor's retention policy, as its API and our store hold it (snake_case JSON): rules OR-ed
/// (<c>algorithm</c> "or"), each retaining what its template picks among the artifacts its
/// selectors select; a trigger (<c>Schedule</c> with <c>settings.cron</c>); the project scope.
/// </summary>
public sealed record RetentionPolicy(
    long Id,
    string? Algorithm,
    IReadOnlyList<RetentionRule>? Rules,
    RetentionTrigger? Trigger,
    RetentionScope? Scope)
{
    public const int MaxRules = 15;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RetentionPolicy FromJson(string json) => JsonSerializer.Deserialize<RetentionPolicy>(json, Json)!;

    /// <summary>The cron of a Schedule trigger, or null (manual only).</summary>
    [JsonIgnore]
    public string? Cron =>
        Trigger is { Kind: "Schedule", Settings: { } settings } && settings.TryGetValue("cron", out var cron) && cron.ValueKind == JsonValueKind.String
        && !string.IsNullOrWhiteSpace(cron.GetString()) ? cron.GetString() : null;
}

public sealed record RetentionRule(
    int Id,
    int Priority,
    bool Disabled,
    string? Action,
    string? Template,
    IReadOnlyDictionary<string, JsonElement>? Params,
    IReadOnlyList<RetentionSelector>? TagSelectors,
    IReadOnlyDictionary<string, IReadOnlyList<RetentionSelector>>? ScopeSelectors)
{
    /// <summary>The template's number (K, N or days), from <c>params</c> as a number or a numeric string.</summary>
    [JsonIgnore]
    public int? Number => Template is { } t && Params is not null && Params.TryGetValue(t, out var v)
        ? v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt32(out var n) => n,
            JsonValueKind.String when int.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        }
        : null;
}

/// <summary>
/// A selector: kind "doublestar" (decorations repoMatches/repoExcludes for repositories,
/// matches/excludes for tags, <c>extras</c> <c>{"untagged":true}</c> to include untagged artifacts)
/// or "label" (withLabels/withoutLabels, pattern a comma-separated list of label names).
/// </summary>
public sealed record RetentionSelector(string? Kind, string? Decoration, string? Pattern, string? Extras)
{
    [JsonIgnore]
    public bool Untagged
    {
        get
        {
            if (string.IsNullOrWhiteSpace(Extras)) return false;
            try
            {
                using var document = JsonDocument.Parse(Extras);
                return document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("untagged", out var u) && u.ValueKind == JsonValueKind.True;
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }

    [JsonIgnore]
    public IReadOnlyList<string> LabelNames =>
        (Pattern ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public sealed record RetentionTrigger(string? Kind, IReadOnlyDictionary<string, JsonElement>? Settings, IReadOnlyDictionary<string, JsonElement>? References);

public sealed record RetentionScope(string? Level, long Ref);
