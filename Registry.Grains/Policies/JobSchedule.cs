using Cronos;

namespace Registry.Grains.Policies;

/// <summary>
/// Harbor's schedule object, as GC, retention and audit-log purge take it:
/// <c>{"type":"Hourly|Daily|Weekly|Custom|None|Manual","cron":"0 0 * * * *"}</c>. Crons have six
/// fields (seconds first); the named types stand for Harbor's fixed crons. Times are UTC.
/// </summary>
public sealed record JobSchedule(string Type, string? Cron)
{
    public static readonly JobSchedule None = new("None", null);

    /// <summary>The cron a schedule runs on, or null when it does not run by itself.</summary>
    public string? EffectiveCron => Type switch
    {
        "Hourly" => "0 0 * * * *",
        "Daily" => "0 0 0 * * *",
        "Weekly" => "0 0 0 * * 0",
        "Custom" or "Schedule" => Cron,
        _ => null,
    };

    /// <summary>Null when valid, else what is wrong (for a 400).</summary>
    public string? Validate() => Type switch
    {
        "Hourly" or "Daily" or "Weekly" or "None" or "Manual" => null,
        "Custom" or "Schedule" => Cron is not null && TryParse(Cron) is not null ? null : $"invalid cron '{Cron}': six fields, seconds first, e.g. '0 0 3 * * *'",
        _ => $"unknown schedule type '{Type}'",
    };

    /// <summary>The first time strictly after <paramref name="after"/> this schedule fires, or null.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after) =>
        EffectiveCron is { } cron && TryParse(cron) is { } expression ? expression.GetNextOccurrence(after, TimeZoneInfo.Utc) : null;

    private static CronExpression? TryParse(string cron) =>
        CronExpression.TryParse(cron, CronFormat.IncludeSeconds, out var expression) ? expression : null;
}
