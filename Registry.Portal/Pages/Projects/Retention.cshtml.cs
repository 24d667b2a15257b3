using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary>
/// <c>/projects/{name}/retention</c>: the project's tag retention rules (added and removed one at a
/// time), its cron, runs and dry runs, and the execution history with each repository's log.
/// </summary>
public sealed class RetentionModel(RegistryApi api) : ProjectPage(api)
{
    public override ProjectTab Tab => ProjectTab.Retention;

    public static readonly IReadOnlyList<(string Template, string Text, string? Unit)> Templates =
    [
        ("latestPushedK", "retain the most recently pushed # artifacts", "artifacts"),
        ("latestPulledN", "retain the most recently pulled # artifacts", "artifacts"),
        ("nDaysSinceLastPush", "retain the artifacts pushed within the last # days", "days"),
        ("nDaysSinceLastPull", "retain the artifacts pulled within the last # days", "days"),
        ("always", "retain always", null),
    ];

    public RetentionPolicyView? Policy { get; private set; }

    public IReadOnlyList<RetentionExecution> Executions { get; private set; } = [];

    /// <summary>The tasks of the execution asked for with <c>?execution=</c>.</summary>
    public IReadOnlyList<RetentionTask> Tasks { get; private set; } = [];

    [FromQuery(Name = "execution")]
    public long? ExecutionId { get; set; }

    public bool CanEdit => Permissions.Can("tag-retention", "update");

    public bool CanRun => Permissions.Can("tag-retention", "operate");

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadProjectAsync(cancellationToken) ?? (CanSeeTab(Tab) ? await LoadAsync(cancellationToken) : TabNotAllowed());

    /// <summary>A task's log, as the API gives it (text).</summary>
    public async Task<IActionResult> OnGetLogAsync(long execution, long task, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        if (PolicyId is not { } id) return NotFound();
        var log = await Api.GetAsync<string>($"/retentions/{id}/executions/{execution}/tasks/{task}", cancellationToken);
        return log.Ok ? Content(log.Value ?? "", "text/plain; charset=utf-8") : LoadFailed(log);
    }

    public async Task<IActionResult> OnPostAddRuleAsync(string? template, int? count, string? repositories, string? tags, bool untagged, string? withLabels,
        CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        var policy = await CurrentAsync(cancellationToken);
        var parameters = new Dictionary<string, JsonElement>();
        if (template is not null and not "always") parameters[template] = JsonSerializer.SerializeToElement(count ?? 0);
        var selectors = new List<RetentionSelectorView>
        {
            new("doublestar", "matches", string.IsNullOrWhiteSpace(tags) ? "**" : tags.Trim(), untagged ? "{\"untagged\":true}" : "{\"untagged\":false}"),
        };
        if (!string.IsNullOrWhiteSpace(withLabels)) selectors.Add(new("label", "withLabels", withLabels.Trim(), null));
        var rule = new RetentionRuleView(0, 0, false, "retain", template, parameters, selectors,
            new() { ["repository"] = [new("doublestar", "repoMatches", string.IsNullOrWhiteSpace(repositories) ? "**" : repositories.Trim(), null)] });
        return await SaveAsync(policy with { Rules = [.. policy.Rules ?? [], rule] }, "Rule added.", "rule", cancellationToken);
    }

    public async Task<IActionResult> OnPostRemoveRuleAsync(int index, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        var policy = await CurrentAsync(cancellationToken);
        var rules = policy.Rules ?? [];
        if (index < 0 || index >= rules.Count) return await LoadAsync(cancellationToken);
        return await SaveAsync(policy with { Rules = [.. rules.Where((_, i) => i != index)] }, "Rule removed.", "", cancellationToken);
    }

    public async Task<IActionResult> OnPostScheduleAsync(string? cron, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        var policy = await CurrentAsync(cancellationToken);
        var trigger = new RetentionTriggerView("Schedule", new() { ["cron"] = JsonSerializer.SerializeToElement(cron?.Trim() ?? "") }, new());
        return await SaveAsync(policy with { Trigger = trigger }, string.IsNullOrWhiteSpace(cron) ? "Schedule removed." : "Schedule saved.", "schedule", cancellationToken);
    }

    public async Task<IActionResult> OnPostRunAsync(bool dryRun, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        if (PolicyId is not { } id) return await LoadAsync(cancellationToken);
        var result = await Api.PostAsync($"/retentions/{id}/executions", new { dry_run = dryRun }, cancellationToken);
        if (!result.Ok) return Failed(result) ?? await LoadAsync(cancellationToken);
        Flash = dryRun ? "Dry run started: nothing is deleted." : "Retention run started.";
        return RedirectToPage(new { name = Project.Name, execution = result.CreatedId });
    }

    public async Task<IActionResult> OnPostStopAsync(long execution, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        if (PolicyId is not { } id) return await LoadAsync(cancellationToken);
        var result = await Api.PatchAsync<JsonElement>($"/retentions/{id}/executions/{execution}", new { action = "stop" }, cancellationToken);
        if (!result.Ok) return Failed(result) ?? await LoadAsync(cancellationToken);
        Flash = "Stopping the run.";
        return RedirectToPage(new { name = Project.Name, execution });
    }

    private long? PolicyId => Project.Metadata is { } m && m.TryGetValue("retention_id", out var v) && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private async Task<RetentionPolicyView> CurrentAsync(CancellationToken cancellationToken)
    {
        if (PolicyId is { } id && (await Api.GetAsync<RetentionPolicyView>($"/retentions/{id}", cancellationToken)).Value is { } existing) return existing;
        return new RetentionPolicyView(0, "or", [], new RetentionTriggerView("Schedule", new() { ["cron"] = JsonSerializer.SerializeToElement("") }, new()),
            new RetentionScopeView("project", Project.ProjectId));
    }

    private async Task<IActionResult> SaveAsync(RetentionPolicyView policy, string message, string errorKey, CancellationToken cancellationToken)
    {
        var result = PolicyId is { } id
            ? await Api.PutAsync($"/retentions/{id}", policy with { Id = id }, cancellationToken)
            : await Api.PostAsync("/retentions", policy, cancellationToken);
        if (!result.Ok) return Failed(result, errorKey) ?? await LoadAsync(cancellationToken);
        Flash = message;
        return RedirectToPage(new { name = Project.Name });
    }

    private async Task<IActionResult> LoadAsync(CancellationToken cancellationToken)
    {
        if (PolicyId is not { } id) return Page();
        var policy = await Api.GetAsync<RetentionPolicyView>($"/retentions/{id}", cancellationToken);
        if (!policy.Ok && Failed(policy) is { } signIn) return signIn;
        Policy = policy.Value;
        var executions = await Api.GetAsync<List<RetentionExecution>>($"/retentions/{id}/executions?page_size=20", cancellationToken);
        Executions = executions.Value ?? [];
        ExecutionId ??= Executions.FirstOrDefault()?.Id;
        if (ExecutionId is { } eid)
            Tasks = (await Api.GetAsync<List<RetentionTask>>($"/retentions/{id}/executions/{eid}/tasks?page_size=100", cancellationToken)).Value ?? [];
        return Page();
    }

    public static string Describe(RetentionRuleView rule)
    {
        var text = Templates.FirstOrDefault(t => t.Template == rule.Template).Text ?? rule.Template ?? "";
        if (rule.Params is { } p && rule.Template is { } t && p.TryGetValue(t, out var n)) text = text.Replace("#", n.ToString());
        return text;
    }

    public static string Selectors(IEnumerable<RetentionSelectorView>? selectors) =>
        string.Join("; ", (selectors ?? []).Select(s => $"{s.Decoration} {s.Pattern}{(s.Extras?.Contains("\"untagged\":true") == true ? " (and untagged)" : "")}"));
}
