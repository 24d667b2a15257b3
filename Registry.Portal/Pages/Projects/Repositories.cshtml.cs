using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary><c>/projects/{name}/repositories</c>: the project's repositories, searchable and paged.</summary>
public sealed class RepositoriesModel(RegistryApi api, ApiProbe probe) : ProjectPage(api)
{
    public override ProjectTab Tab => ProjectTab.Repositories;

    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Search { get; set; }

    [FromQuery(Name = "page")] // not "page" as a route value: Razor Pages uses that for the page's name
    public int PageNumber { get; set; } = 1;

    [BindProperty(SupportsGet = true, Name = "page_size")]
    public int PageSize { get; set; } = Pager.DefaultPageSize;

    public IReadOnlyList<ProjectRepository> Repositories { get; private set; } = [];

    public Pager Pager { get; private set; } = new(1, Pager.DefaultPageSize, 0, null, null);

    /// <summary>host[:port] of the registry as clients name it, for the push hint.</summary>
    public string RegistryHost => probe.ConfiguredAddress?.Authority ?? "REGISTRY_HOST";

    public bool CanPush => Permissions.Can("repository", "push");

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        (PageNumber, PageSize) = Paging(PageNumber, PageSize);
        var path = $"/projects/{RegistryApi.Segment(Project.Name)}/repositories?page={PageNumber}&page_size={PageSize}&sort=name";
        // q's values are URL-decoded once more by the API, so the text is escaped twice.
        if (!string.IsNullOrWhiteSpace(Search)) path += "&q=" + Uri.EscapeDataString("name=~" + Uri.EscapeDataString(Search.Trim()));
        var list = await Api.GetAsync<List<ProjectRepository>>(path, cancellationToken);
        if (!list.Ok && Failed(list) is { } signIn) return signIn;
        Repositories = list.Value ?? [];
        Pager = Pager.For(Request, PageNumber, PageSize, list.Total, Repositories.Count);
        return Page();
    }

    /// <summary>The repository's name without the project: <c>team/a/b</c> → <c>a/b</c>.</summary>
    public string NameInProject(ProjectRepository repository) =>
        repository.Name.StartsWith(Project.Name + "/", StringComparison.Ordinal) ? repository.Name[(Project.Name.Length + 1)..] : repository.Name;

    /// <summary>The repository page's URL: the name's path under the project, each segment escaped, slashes kept.</summary>
    public string RepositoryUrl(ProjectRepository repository) =>
        Url.Content($"~/projects/{RegistryApi.Segment(Project.Name)}/repositories/{string.Join('/', NameInProject(repository).Split('/').Select(RegistryApi.Segment))}");
}
