using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary><c>/projects/{name}/members</c>: who is in the project with which role; adding, re-roling and removing for those allowed.</summary>
public sealed class MembersModel(RegistryApi api) : ProjectPage(api)
{
    /// <summary>Model-state key of the add form's errors (the table's are under "").</summary>
    public const string AddErrors = "Add";

    public override ProjectTab Tab => ProjectTab.Members;

    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Search { get; set; }

    [FromQuery(Name = "page")] // not "page" as a route value: Razor Pages uses that for the page's name
    public int PageNumber { get; set; } = 1;

    [BindProperty(SupportsGet = true, Name = "page_size")]
    public int PageSize { get; set; } = Pager.DefaultPageSize;

    [BindProperty]
    public NewMemberForm NewMember { get; set; } = new();

    public IReadOnlyList<ProjectMember> Members { get; private set; } = [];

    public Pager Pager { get; private set; } = new(1, Pager.DefaultPageSize, 0, null, null);

    public bool CanAdd => Permissions.Can("member", "create");

    public bool CanUpdate => Permissions.Can("member", "update");

    public bool CanRemove => Permissions.Can("member", "delete");

    /// <summary>The API refuses changes to one's own membership unless one is a system admin.</summary>
    public bool IsSelf(ProjectMember member) => !IsSysAdmin && member.EntityId == CurrentUserId;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadProjectAsync(cancellationToken) ?? (CanSeeTab(Tab) ? await ListAsync(cancellationToken) : TabNotAllowed());

    public async Task<IActionResult> OnPostAddAsync(CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        if (!ModelState.IsValid)
        {
            MoveErrorsTo(AddErrors);
            return await ListAsync(cancellationToken);
        }
        var username = NewMember.Username.Trim();
        var added = await Api.PostAsync($"/projects/{ProjectRef}/members", new ProjectMemberCreate(NewMember.RoleId, new ProjectMemberUser(username)), cancellationToken);
        if (added.Ok) return Done($"{username} added as {ProjectRoles.NameOf(NewMember.RoleId)}.");
        return Failed(added, AddErrors) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostRoleAsync(long memberId, int roleId, string? username, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        ModelState.Clear(); // the add form was not posted
        if (!ProjectRoles.IsValid(roleId))
        {
            ModelState.AddModelError("", "Choose a role.");
            return await ListAsync(cancellationToken);
        }
        var changed = await Api.PutAsync($"/projects/{ProjectRef}/members/{memberId}", new ProjectMemberRole(roleId), cancellationToken);
        if (changed.Ok) return Done($"{username ?? "The member"} is now {ProjectRoles.NameOf(roleId)}.");
        return Failed(changed) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostRemoveAsync(long memberId, string? username, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        ModelState.Clear();
        var removed = await Api.DeleteAsync($"/projects/{ProjectRef}/members/{memberId}", cancellationToken);
        if (removed.Ok) return Done($"{username ?? "The member"} removed from {Project.Name}.");
        return Failed(removed) ?? await ListAsync(cancellationToken);
    }

    private IActionResult Done(string message)
    {
        Flash = message;
        return RedirectToPage(new { name = Project.Name, q = Search });
    }

    private async Task<IActionResult> ListAsync(CancellationToken cancellationToken)
    {
        (PageNumber, PageSize) = Paging(PageNumber, PageSize);
        var path = $"/projects/{ProjectRef}/members?page={PageNumber}&page_size={PageSize}";
        if (!string.IsNullOrWhiteSpace(Search)) path += "&entityname=" + Uri.EscapeDataString(Search.Trim());
        var list = await Api.GetAsync<List<ProjectMember>>(path, cancellationToken);
        if (!list.Ok && Failed(list) is { } signIn) return signIn;
        Members = list.Value ?? [];
        Pager = Pager.For(Request, PageNumber, PageSize, list.Total, Members.Count);
        return Page();
    }
}

public sealed class NewMemberForm
{
    [Required(ErrorMessage = "Enter a username."), Display(Name = "Username")]
    public string Username { get; set; } = "";

    [Display(Name = "Role")]
    public int RoleId { get; set; } = ProjectRoles.Developer;
}
