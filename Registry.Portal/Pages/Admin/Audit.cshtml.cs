using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Admin;

/// <summary>
/// <c>/admin/audit</c>: the whole audit log (filtered by user, operation and resource type), and
/// the audit-log purge: its schedule and parameters, a purge (or dry run) now, and past runs with their logs.
/// </summary>
public sealed class AuditModel(RegistryApi api) : AdminPage(api)
{
    public const string PurgeErrors = "Purge";

    public static readonly IReadOnlyList<string> Operations = ["create", "update", "delete", "pull", "login", "refresh_secret", "stop"];

    public static readonly IReadOnlyList<string> ScheduleTypes = ["None", "Hourly", "Daily", "Weekly", "Custom"];

    [BindProperty(SupportsGet = true, Name = "username")]
    public string? Username { get; set; }

    [BindProperty(SupportsGet = true, Name = "operation")]
    public string? Operation { get; set; }

    [BindProperty(SupportsGet = true, Name = "resource_type")]
    public string? ResourceType { get; set; }

    [BindProperty(SupportsGet = true, Name = "p")]
    public int P { get => _page; set => _page = Math.Max(1, value); }

    private int _page = 1;

    [BindProperty(SupportsGet = true, Name = "log")]
    public long? LogId { get; set; }

    [BindProperty]
    public PurgeForm Purge { get; set; } = new();

    public IReadOnlyList<ProjectLogEntry> Entries { get; private set; } = [];

    public long Total { get; private set; }

    public int PageCount => (int)Math.Max(1, (Total + PageSize - 1) / PageSize);

    public PurgeHistory? Schedule { get; private set; }

    public IReadOnlyList<PurgeHistory> Runs { get; private set; } = [];

    public string? Log { get; private set; }

    public string PageLink(int page) => Url.Page(null, new { username = Username, operation = Operation, resource_type = ResourceType, p = page > 1 ? page : (int?)null })!;

    public bool Filtered => !string.IsNullOrWhiteSpace(Username) || !string.IsNullOrWhiteSpace(Operation) || !string.IsNullOrWhiteSpace(ResourceType);

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var page = await LoadAsync(cancellationToken);
        if (Schedule is { } s)
        {
            var parameters = Parameters(s.JobParameters);
            Purge = new PurgeForm
            {
                Type = s.Schedule?.Type ?? "None",
                Cron = s.Schedule?.Cron,
                RetentionHours = parameters.RetentionHours,
                IncludeOperations = parameters.Operations,
            };
        }
        return page;
    }

    /// <summary>Saves the schedule and its parameters.</summary>
    public async Task<IActionResult> OnPostScheduleAsync(CancellationToken cancellationToken)
    {
        if (Purge.Type == "Custom" && string.IsNullOrWhiteSpace(Purge.Cron)) ModelState.AddModelError(PurgeErrors, "Enter a cron for a custom schedule.");
        if (!ModelState.IsValid) return await PurgeFailedAsync(cancellationToken);
        var body = new PurgeScheduleSave(new PurgeScheduleObj(Purge.Type, Purge.Type == "Custom" ? Purge.Cron?.Trim() : null), Body(dryRun: false));
        var saved = await Api.PutAsync("/system/purgeaudit/schedule", body, cancellationToken);
        if (saved.Ok)
        {
            Flash = "Purge schedule saved.";
            return RedirectToPage();
        }
        return Failed(saved, PurgeErrors) ?? await PurgeFailedAsync(cancellationToken);
    }

    /// <summary>Purges now (or counts, for a dry run) with the form's parameters.</summary>
    public async Task<IActionResult> OnPostRunAsync(bool dryRun, CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid) return await PurgeFailedAsync(cancellationToken);
        var run = await Api.PostAsync("/system/purgeaudit/schedule", new PurgeScheduleSave(new PurgeScheduleObj("Manual", null), Body(dryRun)), cancellationToken);
        if (run.Ok)
        {
            Flash = dryRun ? "Dry run finished: see its log." : "Purge finished: see its log.";
            return RedirectToPage(new { log = run.CreatedId });
        }
        return Failed(run, PurgeErrors) ?? await PurgeFailedAsync(cancellationToken);
    }

    private Dictionary<string, object> Body(bool dryRun) => new()
    {
        ["audit_retention_hour"] = Purge.RetentionHours,
        ["include_operations"] = string.Join(',', Purge.IncludeOperations),
        ["dry_run"] = dryRun,
    };

    private async Task<IActionResult> PurgeFailedAsync(CancellationToken cancellationToken)
    {
        foreach (var key in ModelState.Keys.Where(k => k != PurgeErrors).ToList())
        {
            foreach (var error in ModelState[key]!.Errors.ToList()) ModelState.AddModelError(PurgeErrors, error.ErrorMessage);
            ModelState.Remove(key);
        }
        return await LoadAsync(cancellationToken);
    }

    private async Task<IActionResult> LoadAsync(CancellationToken cancellationToken)
    {
        var filters = new List<(string, string)>();
        if (!string.IsNullOrWhiteSpace(Username)) filters.Add(("username", "~" + Username.Trim()));
        if (!string.IsNullOrWhiteSpace(Operation)) filters.Add(("operation", Operation.Trim()));
        if (!string.IsNullOrWhiteSpace(ResourceType)) filters.Add(("resource_type", ResourceType.Trim()));
        var path = $"/audit-logs?page={P}&page_size={PageSize}";
        if (filters.Count > 0) path += "&q=" + Uri.EscapeDataString(string.Join(',', filters.Select(f => $"{f.Item1}={Uri.EscapeDataString(f.Item2)}")));
        var list = await Api.GetAsync<List<ProjectLogEntry>>(path, cancellationToken);
        if (!list.Ok && Failed(list, LoadKey) is { } signIn) return signIn;
        Entries = list.Value ?? [];
        Total = list.Total ?? Entries.Count;

        var schedule = await Api.GetAsync<PurgeHistory>("/system/purgeaudit/schedule", cancellationToken);
        if (schedule.Ok) Schedule = schedule.Value;
        var runs = await Api.GetAsync<List<PurgeHistory>>("/system/purgeaudit?page_size=10", cancellationToken);
        if (runs.Ok) Runs = runs.Value ?? [];
        if (LogId is { } id)
        {
            var log = await Api.GetAsync<string>($"/system/purgeaudit/{id.ToString(CultureInfo.InvariantCulture)}/log", cancellationToken);
            Log = log.Ok ? log.Value : null;
        }
        return Page();
    }

    /// <summary>Retention hours and operations from a run's or the schedule's <c>job_parameters</c>.</summary>
    public static (int RetentionHours, List<string> Operations) Parameters(string? json)
    {
        try
        {
            using var document = JsonDocument.Parse(json ?? "{}");
            var root = document.RootElement;
            var hours = root.TryGetProperty("audit_retention_hour", out var h) && h.TryGetInt32(out var n) ? n : 720;
            var operations = root.TryGetProperty("include_operations", out var o) && o.ValueKind == JsonValueKind.String
                ? o.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList() : [];
            return (hours, operations);
        }
        catch (JsonException)
        {
            return (720, []);
        }
    }

    public static string Describe(PurgeHistory run)
    {
        var (hours, operations) = Parameters(run.JobParameters);
        var dry = run.JobParameters?.Contains("\"dry_run\":true", StringComparison.Ordinal) == true ? " · dry run" : "";
        return $"older than {hours} h · {(operations.Count == 0 ? "all operations" : string.Join(", ", operations))}{dry}";
    }
}

public sealed class PurgeForm
{
    [Display(Name = "Schedule")]
    public string Type { get; set; } = "None";

    [StringLength(128), Display(Name = "Cron (six fields, seconds first)")]
    public string? Cron { get; set; }

    [Range(1, 87600, ErrorMessage = "Keep entries for 1 to 87600 hours."), Display(Name = "Keep entries for (hours)")]
    public int RetentionHours { get; set; } = 720;

    public List<string> IncludeOperations { get; set; } = [];
}
