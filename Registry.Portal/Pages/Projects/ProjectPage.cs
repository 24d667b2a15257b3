using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary>The tabs of a project's pages.</summary>
public enum ProjectTab { Repositories, Members, Robots, Logs, Summary, RecycleBin, Labels, Retention, Webhooks, Immutability }

/// <summary>
/// Base of the pages under <c>/projects/{name}</c>: loads the project (by its name, never an id
/// the API might confuse it with) and what the user may do in it, for the shared header and tabs.
/// </summary>
public abstract class ProjectPage(RegistryApi api) : PortalPage(api)
{
    /// <summary>The project name from the route.</summary>
    [BindProperty(SupportsGet = true, Name = "name")]
    public string ProjectName { get; set; } = "";

    public Project Project { get; private set; } = null!;

    public ProjectPermissions Permissions { get; private set; } = ProjectPermissions.None;

    public abstract ProjectTab Tab { get; }

    /// <summary>The project's id as a path segment: unambiguous for <c>project_name_or_id</c>, even for all-digit names.</summary>
    protected string ProjectRef => Project.ProjectId.ToString(CultureInfo.InvariantCulture);

    public bool CanSeeTab(ProjectTab tab) => tab switch
    {
        ProjectTab.Members => Permissions.Can("member", "list"),
        ProjectTab.Robots => Permissions.Can("robot", "list"),
        ProjectTab.Logs => Permissions.Can("log", "list"),
        ProjectTab.RecycleBin => Permissions.Can("artifact", "delete"),
        ProjectTab.Labels => Permissions.Can("label", "list"),
        ProjectTab.Retention => Permissions.Can("tag-retention", "list"),
        ProjectTab.Webhooks => Permissions.Can("notification-policy", "list"),
        ProjectTab.Immutability => Permissions.Can("immutable-tag", "list"),
        _ => true,
    };

    /// <summary>Loads the project and the user's permissions in it; a result to return at once when that fails.</summary>
    protected async Task<IActionResult?> LoadProjectAsync(CancellationToken cancellationToken)
    {
        if (!ProjectNames.IsValid(ProjectName)) return NotFound();
        ApiResult<Project> loaded;
        if (ProjectNames.LooksLikeId(ProjectName))
        {
            // GET /projects/123 would be the project with id 123: look the name up exactly instead.
            var found = await Api.GetAsync<List<Project>>($"/projects?q={Uri.EscapeDataString("name=" + ProjectName)}&page_size=1", cancellationToken);
            if (!found.Ok) return LoadFailed(found);
            var match = found.Value?.FirstOrDefault(p => p.Name == ProjectName);
            loaded = new ApiResult<Project>(match is null ? System.Net.HttpStatusCode.NotFound : found.Status, match, match is null ? "not found" : null);
        }
        else
        {
            loaded = await Api.GetAsync<Project>($"/projects/{RegistryApi.Segment(ProjectName)}", cancellationToken);
        }
        if (!loaded.Ok || loaded.Value is null) return LoadFailed(loaded.Ok ? loaded with { Status = System.Net.HttpStatusCode.NotFound } : loaded);
        Project = loaded.Value;
        Permissions = await ProjectPermissions.LoadAsync(Api, ProjectRef, cancellationToken);
        ViewData["Title"] = $"{Tab switch { ProjectTab.Robots => "Robot accounts", ProjectTab.RecycleBin => "Recycle bin", ProjectTab.Retention => "Tag retention", ProjectTab.Immutability => "Tag immutability", _ => Tab.ToString() }} · {Project.Name}";
        return null;
    }

    /// <summary>A result for a tab the user may not use: the project's first page.</summary>
    protected IActionResult TabNotAllowed() => RedirectToPage("/Projects/Repositories", new { name = Project.Name });

    /// <summary>Puts the model state's messages under one key, so they show next to the form that was posted.</summary>
    protected void MoveErrorsTo(string key)
    {
        // Read the messages first: removing an entry resets it in place.
        var others = ModelState.Where(e => e.Key != key)
            .Select(e => (e.Key, Messages: e.Value?.Errors.Select(x => x.ErrorMessage).ToList() ?? [])).ToList();
        foreach (var (k, messages) in others)
        {
            ModelState.Remove(k);
            foreach (var message in messages) ModelState.AddModelError(key, message);
        }
    }

    /// <summary>Page numbers and sizes from the query, kept to what the API accepts.</summary>
    protected static (int Page, int PageSize) Paging(int page, int pageSize) => Pager.Clamp(page, pageSize);
}
