using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary><c>/projects</c>: the projects the user can see, searchable and paged, and a form to create one.</summary>
public sealed class IndexModel(RegistryApi api) : PortalPage(api)
{
    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Search { get; set; }

    [FromQuery(Name = "page")] // not "page" as a route value: Razor Pages uses that for the page's name
    public int PageNumber { get; set; } = 1;

    [BindProperty(SupportsGet = true, Name = "page_size")]
    public int PageSize { get; set; } = Pager.DefaultPageSize;

    [BindProperty]
    public NewProjectForm NewProject { get; set; } = new();

    public IReadOnlyList<Project> Projects { get; private set; } = [];

    public Pager Pager { get; private set; } = new(1, Pager.DefaultPageSize, 0, null, null);

    /// <summary>False when only system admins may create projects and the user is not one.</summary>
    public bool CanCreate { get; private set; } = true;

    /// <summary>Whether the list loaded; when not, the message is in <see cref="ListError"/>.</summary>
    public string? ListError { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken cancellationToken)
    {
        Search = null;
        (PageNumber, PageSize) = (1, Pager.DefaultPageSize);
        if (ModelState.IsValid)
        {
            var name = NewProject.Name.Trim();
            long? limit = null;
            if (IsSysAdmin && NewProject.StorageLimit is { } amount)
                limit = checked(amount * (NewProject.StorageUnit == "GiB" ? 1024L * 1024 * 1024 : 1024L * 1024));
            var created = await Api.PostAsync("/projects",
                new ProjectCreate(name, new Dictionary<string, string> { ["public"] = NewProject.Public ? "true" : "false" }, limit), cancellationToken);
            if (created.Ok)
            {
                Flash = $"Project {name} created.";
                return RedirectToPage("/Projects/Repositories", new { name });
            }
            if (Failed(created) is { } signIn) return signIn;
        }
        return await LoadAsync(cancellationToken) ?? Page();
    }

    private async Task<IActionResult?> LoadAsync(CancellationToken cancellationToken)
    {
        (PageNumber, PageSize) = Pager.Clamp(PageNumber, PageSize);
        var path = $"/projects?page={PageNumber}&page_size={PageSize}&sort=name";
        if (!string.IsNullOrWhiteSpace(Search)) path += "&name=" + Uri.EscapeDataString(Search.Trim());
        var list = await Api.GetAsync<List<Project>>(path, cancellationToken);
        if (!list.Ok)
        {
            if (list.Status == System.Net.HttpStatusCode.Unauthorized) return Failed(list);
            ListError = list.Error;
        }
        Projects = list.Value ?? [];
        Pager = Pager.For(Request, PageNumber, PageSize, list.Total, Projects.Count);
        if (!IsSysAdmin)
        {
            var info = await Api.GetAsync<ProjectCreationInfo>("/systeminfo", cancellationToken);
            CanCreate = info.Value is not { AdminOnly: true };
        }
        return null;
    }

    public string RoleOf(Project project) =>
        project.CurrentUserRoleId is { } id ? ProjectRoles.NameOf(id) : IsSysAdmin ? "System admin" : "—";
}

public sealed class NewProjectForm
{
    [Required(ErrorMessage = "Enter a project name."), Display(Name = "Project name")]
    public string Name { get; set; } = "";

    [Display(Name = "Public (anyone may pull)")]
    public bool Public { get; set; }

    [Range(1, 1_000_000_000, ErrorMessage = "The storage limit must be a whole number from 1 to 1000000000."), Display(Name = "Storage limit")]
    public long? StorageLimit { get; set; }

    [RegularExpression("^(MiB|GiB)$", ErrorMessage = "Choose MiB or GiB."), Display(Name = "Unit")]
    public string StorageUnit { get; set; } = "GiB";
}
