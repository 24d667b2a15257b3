using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary>
/// <c>/projects/{name}/robots</c>: the project's robot accounts. Creating one (or refreshing its
/// secret) answers with the secret in that response only: it is never put in a URL, TempData or
/// anything else that outlives the page, and the page is not cached.
/// </summary>
public sealed class RobotsModel(RegistryApi api) : ProjectPage(api)
{
    public const string CreateErrors = "Create";

    public override ProjectTab Tab => ProjectTab.Robots;

    [FromQuery(Name = "page")] // not "page" as a route value: Razor Pages uses that for the page's name
    public int PageNumber { get; set; } = 1;

    [BindProperty(SupportsGet = true, Name = "page_size")]
    public int PageSize { get; set; } = Pager.DefaultPageSize;

    [BindProperty]
    public NewRobotForm NewRobot { get; set; } = new();

    public IReadOnlyList<ProjectRobot> Robots { get; private set; } = [];

    public Pager Pager { get; private set; } = new(1, Pager.DefaultPageSize, 0, null, null);

    /// <summary>Set only in the response to a create or refresh: the robot's full name and its secret, shown once.</summary>
    public (string Name, string Secret, bool Refreshed)? Revealed { get; private set; }

    public DateTimeOffset Now { get; } = DateTimeOffset.UtcNow;

    public bool CanCreate => Permissions.Can("robot", "create");

    public bool CanUpdate => Permissions.Can("robot", "update");

    public bool CanDelete => Permissions.Can("robot", "delete");

    /// <summary>The permissions offered: those of the API's project scope the user has (a robot cannot exceed its creator).</summary>
    public IEnumerable<ProjectRobotPermissionChoice> Choices => ProjectRobotPermissionChoices.All.Where(c => Permissions.Can(c.Resource, c.Action));

    /// <summary>True when the create form comes back with errors: its checkboxes keep what was posted.</summary>
    private bool _keepForm;

    public bool IsChecked(ProjectRobotPermissionChoice choice) =>
        _keepForm ? NewRobot.Access.Contains(choice.Key) : ProjectRobotPermissionChoices.Defaults.Contains(choice.Key);

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadProjectAsync(cancellationToken) ?? (CanSeeTab(Tab) ? await ListAsync(cancellationToken) : TabNotAllowed());

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        _keepForm = true;
        var offered = Choices.ToDictionary(c => c.Key);
        var access = NewRobot.Access.Distinct().Where(offered.ContainsKey).Select(k => new ProjectRobotAccess(offered[k].Resource, offered[k].Action)).ToList();
        if (access.Count == 0) ModelState.AddModelError(CreateErrors, "Choose at least one permission.");
        if (!NewRobot.NeverExpires && NewRobot.ExpiresInDays is null) ModelState.AddModelError(CreateErrors, "Enter the number of days, or choose never.");
        if (!ModelState.IsValid)
        {
            MoveErrorsTo(CreateErrors);
            return await ListAsync(cancellationToken);
        }
        var request = new ProjectRobotCreate(NewRobot.Name.Trim(), NewRobot.Description, NewRobot.NeverExpires ? -1 : NewRobot.ExpiresInDays!.Value, "project", false,
            [new ProjectRobotPermission("project", Project.Name, access)]);
        var created = await Api.SendAsync<ProjectRobotCreated>(HttpMethod.Post, "/robots", request, cancellationToken);
        if (created is { Ok: true, Value: { } robot })
        {
            Revealed = (robot.Name, robot.Secret, false);
            NewRobot = new NewRobotForm();
            _keepForm = false;
            ModelState.Clear();
            return await SecretPageAsync(cancellationToken);
        }
        return Failed(created, CreateErrors) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostRefreshAsync(long robotId, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        ModelState.Clear();
        var (robot, refused) = await RobotOfProjectAsync(robotId, cancellationToken);
        if (robot is null) return refused!;
        var refreshed = await Api.PatchAsync<ProjectRobotSecret>($"/robots/{robot.Id}", new ProjectRobotSecret(null), cancellationToken);
        if (refreshed is { Ok: true, Value.Secret: { } secret })
        {
            Revealed = (robot.Name, secret, true);
            return await SecretPageAsync(cancellationToken);
        }
        return Failed(refreshed) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostToggleAsync(long robotId, bool disable, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        ModelState.Clear();
        var (robot, refused) = await RobotOfProjectAsync(robotId, cancellationToken);
        if (robot is null) return refused!;
        // PUT replaces the robot: send it as it is, with only disable changed.
        var update = new ProjectRobotUpdate(robot.Id, robot.Name, robot.Description, robot.Duration, robot.Level, disable, robot.Permissions ?? []);
        var changed = await Api.PutAsync($"/robots/{robot.Id}", update, cancellationToken);
        if (changed.Ok) return Done($"{robot.Name} {(disable ? "disabled" : "enabled")}.");
        return Failed(changed) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostDeleteAsync(long robotId, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        ModelState.Clear();
        var (robot, refused) = await RobotOfProjectAsync(robotId, cancellationToken);
        if (robot is null) return refused!;
        var deleted = await Api.DeleteAsync($"/robots/{robot.Id}", cancellationToken);
        if (deleted.Ok) return Done($"{robot.Name} deleted.");
        return Failed(deleted) ?? await ListAsync(cancellationToken);
    }

    /// <summary>The robot, when it is one of this project's; else the page to answer with (the reason in the model state).</summary>
    private async Task<(ProjectRobot? Robot, IActionResult? Refused)> RobotOfProjectAsync(long id, CancellationToken cancellationToken)
    {
        var loaded = await Api.GetAsync<ProjectRobot>($"/robots/{id}", cancellationToken);
        if (!loaded.Ok) return (null, Failed(loaded) ?? await ListAsync(cancellationToken));
        if (loaded.Value is { Level: "project" } robot && robot.Permissions?.Any(p => p.Kind == "project" && p.Namespace == Project.Name) == true) return (robot, null);
        ModelState.AddModelError("", $"robot {id} is not a robot account of {Project.Name}");
        return (null, await ListAsync(cancellationToken));
    }

    /// <summary>The page with the secret: never stored by the browser or a proxy.</summary>
    private async Task<IActionResult> SecretPageAsync(CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        Response.Headers.Pragma = "no-cache";
        return await ListAsync(cancellationToken);
    }

    private IActionResult Done(string message)
    {
        Flash = message;
        return RedirectToPage(new { name = Project.Name });
    }

    private async Task<IActionResult> ListAsync(CancellationToken cancellationToken)
    {
        (PageNumber, PageSize) = Paging(PageNumber, PageSize);
        var q = Uri.EscapeDataString($"level=project,project_id={Project.ProjectId}");
        var list = await Api.GetAsync<List<ProjectRobot>>($"/robots?q={q}&page={PageNumber}&page_size={PageSize}&sort=name", cancellationToken);
        if (!list.Ok && Failed(list) is { } signIn) return signIn;
        Robots = list.Value ?? [];
        Pager = Pager.For(Request, PageNumber, PageSize, list.Total, Robots.Count);
        return Page();
    }

    public string Expiry(ProjectRobot robot) =>
        robot.ExpiresAt == -1 ? "Never" : ProjectFormats.Time(DateTimeOffset.FromUnixTimeSeconds(robot.ExpiresAt));

    public static string Describe(ProjectRobot robot) =>
        string.Join(", ", (robot.Permissions ?? []).SelectMany(p => p.Access).Where(a => a.Effect is null or "allow")
            .Select(a => ProjectRobotPermissionChoices.Describe(a.Resource, a.Action)));
}

public sealed class NewRobotForm
{
    [Required(ErrorMessage = "Enter a name."), Display(Name = "Name")]
    public string Name { get; set; } = "";

    [StringLength(1024), Display(Name = "Description")]
    public string? Description { get; set; }

    [Range(1, 36500, ErrorMessage = "Expiry is a number of days from 1 to 36500."), Display(Name = "Expires after (days)")]
    public int? ExpiresInDays { get; set; } = 30;

    [Display(Name = "Never expires")]
    public bool NeverExpires { get; set; }

    /// <summary>"resource:action" pairs checked on the form.</summary>
    public List<string> Access { get; set; } = [];
}
