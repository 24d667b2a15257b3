using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Admin;

/// <summary>
/// Garbage collection: run it now (optionally as a dry run, deleting untagged artifacts), its
/// schedule, and the history with each run's log.
/// </summary>
public sealed class GcModel(RegistryApi api) : AdminPage(api)
{
    public sealed class RunInput
    {
        [Display(Name = "Dry run (report only, delete nothing)")]
        public bool DryRun { get; set; }

        [Display(Name = "Delete untagged artifacts (they go to the recycle bin)")]
        public bool DeleteUntagged { get; set; }

        [Range(1, 5), Display(Name = "Workers")]
        public int Workers { get; set; } = 1;
    }

    public sealed class ScheduleInput
    {
        [Required, Display(Name = "Schedule")]
        public string Type { get; set; } = "None";

        [Display(Name = "Cron (six fields, seconds first)")]
        public string? Cron { get; set; }

        [Display(Name = "Delete untagged artifacts")]
        public bool DeleteUntagged { get; set; }

        [Range(1, 5), Display(Name = "Workers")]
        public int Workers { get; set; } = 1;
    }

    [BindProperty]
    public RunInput Run { get; set; } = new();

    [BindProperty]
    public ScheduleInput Schedule { get; set; } = new();

    public IReadOnlyList<GcRun> Runs { get; private set; } = [];

    public long Total { get; private set; }

    [BindProperty(SupportsGet = true, Name = "p")]
    public int PageNumber { get; set; } = 1;

    public DateTimeOffset? NextRun { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken, fillSchedule: true);

    public async Task<IActionResult> OnGetLogAsync(long id, CancellationToken cancellationToken)
    {
        var log = await Api.GetAsync<string>($"/system/gc/{id}/log", cancellationToken);
        if (!log.Ok) return LoadFailed(log);
        return Content(log.Value ?? "", "text/plain; charset=utf-8");
    }

    public async Task<IActionResult> OnPostRunAsync(CancellationToken cancellationToken)
    {
        Ignore(nameof(Schedule));
        if (!ModelState.IsValid) return await LoadAsync(cancellationToken, fillSchedule: true);
        var result = await Api.PostAsync("/system/gc/schedule",
            new GcScheduleBody(new GcScheduleObj("Manual", null), new GcParametersBody(Run.DryRun, Run.DeleteUntagged, Run.Workers)), cancellationToken);
        if (!result.Ok) return Failed(result) ?? await LoadAsync(cancellationToken, fillSchedule: true);
        Flash = Run.DryRun ? "Dry run started." : "Garbage collection started.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostScheduleAsync(CancellationToken cancellationToken)
    {
        Ignore(nameof(Run));
        if (!ModelState.IsValid) return await LoadAsync(cancellationToken, fillSchedule: false);
        var result = await Api.PutAsync("/system/gc/schedule",
            new GcScheduleBody(new GcScheduleObj(Schedule.Type, Schedule.Type == "Custom" ? Schedule.Cron : null),
                new GcParametersBody(false, Schedule.DeleteUntagged, Schedule.Workers)), cancellationToken);
        if (!result.Ok) return Failed(result, "Schedule.Cron") ?? await LoadAsync(cancellationToken, fillSchedule: false);
        Flash = "Schedule saved.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostStopAsync(long id, CancellationToken cancellationToken)
    {
        var result = await Api.PutAsync($"/system/gc/{id}", null, cancellationToken);
        if (!result.Ok) return Failed(result, LoadKey) ?? await LoadAsync(cancellationToken, fillSchedule: true);
        Flash = $"Stopping run {id}.";
        return RedirectToPage();
    }

    /// <summary>Each form posts only its own fields: the other form's are not validated.</summary>
    private void Ignore(string prefix)
    {
        foreach (var key in ModelState.Keys.Where(k => k.StartsWith(prefix + ".", StringComparison.Ordinal)).ToList()) ModelState.Remove(key);
    }

    private async Task<IActionResult> LoadAsync(CancellationToken cancellationToken, bool fillSchedule)
    {
        var page = Math.Max(1, PageNumber);
        var runs = Api.GetAsync<List<GcRun>>($"/system/gc?page={page}&page_size={PageSize}", cancellationToken);
        var schedule = Api.GetAsync<GcRun>("/system/gc/schedule", cancellationToken);
        await Task.WhenAll(runs, schedule);
        if (!runs.Result.Ok) return LoadFailed(runs.Result);
        if (!schedule.Result.Ok) return LoadFailed(schedule.Result);
        Runs = runs.Result.Value ?? [];
        Total = runs.Result.Total ?? Runs.Count;
        if (schedule.Result.Value is { } s)
        {
            NextRun = s.Schedule?.NextScheduledTime;
            if (fillSchedule)
            {
                Schedule.Type = s.Schedule?.Type ?? "None";
                Schedule.Cron = s.Schedule?.Cron;
                var parameters = Parameters(s);
                Schedule.DeleteUntagged = parameters.DeleteUntagged;
                Schedule.Workers = parameters.Workers;
            }
        }
        return Page();
    }

    public static GcParametersBody Parameters(GcRun run)
    {
        try
        {
            var p = JsonDocument.Parse(run.JobParameters).RootElement;
            return new GcParametersBody(p.TryGetProperty("dry_run", out var d) && d.GetBoolean(), p.TryGetProperty("delete_untagged", out var u) && u.GetBoolean(),
                p.TryGetProperty("workers", out var w) ? w.GetInt32() : 1);
        }
        catch (JsonException)
        {
            return new GcParametersBody(false, false, 1);
        }
    }
}
