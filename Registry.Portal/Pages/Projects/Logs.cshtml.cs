using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary><c>/projects/{name}/logs</c>: the project's audit log, newest first, filtered by user and operation.</summary>
public sealed class LogsModel(RegistryApi api) : ProjectPage(api)
{
    /// <summary>The operations the API records (its audit log's <c>operation</c> values).</summary>
    public static readonly IReadOnlyList<string> Operations = ["create", "update", "delete", "refresh_secret", "pull"];

    public override ProjectTab Tab => ProjectTab.Logs;

    [BindProperty(SupportsGet = true, Name = "username")]
    public string? Username { get; set; }

    [BindProperty(SupportsGet = true, Name = "operation")]
    public string? Operation { get; set; }

    [FromQuery(Name = "page")] // not "page" as a route value: Razor Pages uses that for the page's name
    public int PageNumber { get; set; } = 1;

    [BindProperty(SupportsGet = true, Name = "page_size")]
    public int PageSize { get; set; } = Pager.DefaultPageSize;

    public IReadOnlyList<ProjectLogEntry> Entries { get; private set; } = [];

    public Pager Pager { get; private set; } = new(1, Pager.DefaultPageSize, 0, null, null);

    public bool Filtered => !string.IsNullOrWhiteSpace(Username) || !string.IsNullOrWhiteSpace(Operation);

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        if (!CanSeeTab(Tab)) return TabNotAllowed();
        (PageNumber, PageSize) = Paging(PageNumber, PageSize);
        // q=username=~text,operation=op; the API URL-decodes each value once more, so they are escaped twice.
        var filters = new List<string>();
        if (!string.IsNullOrWhiteSpace(Username)) filters.Add("username=~" + Uri.EscapeDataString(Username.Trim()));
        if (!string.IsNullOrWhiteSpace(Operation)) filters.Add("operation=" + Uri.EscapeDataString(Operation.Trim()));
        // Harbor's logs path takes the project's name, never its id.
        var path = $"/projects/{Uri.EscapeDataString(Project.Name)}/logs?page={PageNumber}&page_size={PageSize}";
        if (filters.Count > 0) path += "&q=" + Uri.EscapeDataString(string.Join(',', filters));
        var list = await Api.GetAsync<List<ProjectLogEntry>>(path, cancellationToken);
        if (!list.Ok && Failed(list) is { } signIn) return signIn;
        Entries = list.Value ?? [];
        Pager = Pager.For(Request, PageNumber, PageSize, list.Total, Entries.Count);
        return Page();
    }

    public static string OperationName(string operation) => operation.Replace('_', ' ');
}
