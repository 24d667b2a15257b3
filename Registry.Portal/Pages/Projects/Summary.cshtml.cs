using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary><c>/projects/{name}/summary</c>: storage used against the quota, repositories, and members per role.</summary>
public sealed class SummaryModel(RegistryApi api) : ProjectPage(api)
{
    public override ProjectTab Tab => ProjectTab.Summary;

    public ProjectSummary? Summary { get; private set; }

    public long Used => Summary?.Quota?.Used.Storage ?? 0;

    /// <summary>Bytes, or -1 for unlimited.</summary>
    public long Limit => Summary?.Quota?.Hard.Storage ?? -1;

    /// <summary>Whole percent of the quota used; null when unlimited.</summary>
    public int? PercentUsed => Limit > 0 ? (int)Math.Min(100, Used * 100 / Limit) : Limit == 0 ? 100 : null;

    public IEnumerable<(string Role, int Count)> MemberCounts =>
        Summary is not { } s ? [] :
        [
            ("Project Admin", s.ProjectAdminCount), ("Maintainer", s.MaintainerCount), ("Developer", s.DeveloperCount),
            ("Guest", s.GuestCount), ("Limited Guest", s.LimitedGuestCount),
        ];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        var summary = await Api.GetAsync<ProjectSummary>($"/projects/{ProjectRef}/summary", cancellationToken);
        if (!summary.Ok && Failed(summary) is { } signIn) return signIn;
        Summary = summary.Value;
        return Page();
    }
}
