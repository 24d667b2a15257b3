using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Admin;

/// <summary>
/// System robot accounts: list, create with per-project permissions (or every project), refresh
/// the secret, disable or enable, delete. A secret is shown once, in the answer to the POST that
/// made it, and is never put in a URL, TempData or a cacheable page.
/// </summary>
public sealed class RobotsModel(RegistryApi api) : AdminListPage(api)
{
    /// <summary>The project actions a robot can be given, and the API permissions each stands for.</summary>
    public static readonly IReadOnlyList<(string Value, string Label, RobotAccessEntry[] Access)> Actions =
    [
        ("pull", "Pull", [new("repository", "pull")]),
        ("push", "Push", [new("repository", "push")]),
        ("delete", "Delete artifacts and repositories", [new("artifact", "delete"), new("repository", "delete")]),
    ];

    public sealed class NewRobotInput
    {
        [Required(ErrorMessage = "Enter a name."), StringLength(255), Display(Name = "Name")]
        [RegularExpression("^[a-z0-9]+(?:[._-][a-z0-9]+)*$", ErrorMessage = "Use lower-case letters and digits, separated by single '.', '_' or '-'.")]
        public string Name { get; set; } = "";

        [StringLength(1024), Display(Name = "Description")]
        public string? Description { get; set; }

        [Range(1, 36500, ErrorMessage = "Expiry is 1 to 36500 days."), Display(Name = "Expires after (days)")]
        public int? Duration { get; set; }

        [Display(Name = "Never expires")]
        public bool NeverExpires { get; set; }

        [Display(Name = "All projects, including future ones")]
        public bool AllProjects { get; set; }

        public List<string> Projects { get; set; } = [];

        public List<string> Access { get; set; } = [];

        [Display(Name = "Create projects")]
        public bool CreateProjects { get; set; }
    }

    /// <summary>A secret to show once: who it belongs to and whether it is new or refreshed.</summary>
    public sealed record ShownSecret(string RobotName, string Secret, bool Refreshed);

    public NewRobotInput Input { get; set; } = new();

    public IReadOnlyList<RobotEntry> Robots { get; private set; } = [];

    public IReadOnlyList<ProjectChoice> Projects { get; private set; } = [];

    /// <summary>True when there are more projects than the form lists.</summary>
    public bool MoreProjects { get; private set; }

    public string Prefix { get; private set; } = "robot$";

    public int DefaultDuration { get; private set; } = 30;

    public ShownSecret? Secret { get; private set; }

    public async Task<IActionResult> OnPostCreateAsync([Bind(Prefix = "Input")] NewRobotInput input, CancellationToken cancellationToken)
    {
        Input = input;
        var permissions = Permissions(input);
        if (!input.NeverExpires && input.Duration is null) ModelState.AddModelError("Input.Duration", "Enter a number of days, or choose never.");
        if (ModelState.IsValid)
        {
            var body = new RobotCreation(input.Name, string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim(),
                input.NeverExpires ? -1 : input.Duration!.Value, "system", false, permissions);
            var result = await Api.SendAsync<RobotCreated>(HttpMethod.Post, "/robots", body, cancellationToken);
            if (result.Ok && result.Value is { } created)
            {
                Secret = new ShownSecret(created.Name, created.Secret, Refreshed: false);
                NoStore();
                ModelState.Clear();
                Input = new NewRobotInput();
                return await LoadAsync(cancellationToken);
            }
            if (Failed(result) is { } signIn) return signIn;
        }
        return await LoadAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostRefreshAsync(long id, string? name, CancellationToken cancellationToken)
    {
        var result = await Api.PatchAsync<RobotSecret>($"/robots/{id}", new RobotSecret(null), cancellationToken);
        if (result.Ok && result.Value?.Secret is { } secret)
        {
            Secret = new ShownSecret(name ?? $"robot {id}", secret, Refreshed: true);
            NoStore();
        }
        else if (Failed(result, RowKey(id)) is { } signIn)
        {
            return signIn;
        }
        return await RowFailedAsync(id, cancellationToken);
    }

    public async Task<IActionResult> OnPostDisableAsync(long id, string name, bool disable, CancellationToken cancellationToken)
    {
        var result = await Api.PutAsync($"/robots/{id}", new RobotDisable(id, name, "system", disable), cancellationToken);
        if (result.Ok)
        {
            Flash = disable ? $"{name} is disabled." : $"{name} is enabled.";
            return Back();
        }
        return Failed(result, RowKey(id)) ?? await RowFailedAsync(id, cancellationToken);
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id, string? name, CancellationToken cancellationToken)
    {
        var result = await Api.DeleteAsync($"/robots/{id}", cancellationToken);
        if (result.Ok)
        {
            Flash = $"{name} deleted.";
            return Back();
        }
        return Failed(result, RowKey(id)) ?? await RowFailedAsync(id, cancellationToken);
    }

    /// <summary>The API permissions the form asks for, with a model error for each half-filled part.</summary>
    private List<RobotPermissionEntry> Permissions(NewRobotInput input)
    {
        var access = Actions.Where(a => input.Access.Contains(a.Value)).SelectMany(a => a.Access).ToList();
        var projects = input.AllProjects ? ["*"] : input.Projects.Where(p => !string.IsNullOrWhiteSpace(p)).Distinct(StringComparer.Ordinal).ToList();
        var permissions = new List<RobotPermissionEntry>();
        if (projects.Count > 0 && access.Count == 0) ModelState.AddModelError("Input.Access", "Choose what the robot may do in the projects.");
        else if (projects.Count == 0 && access.Count > 0) ModelState.AddModelError("Input.Projects", "Choose the projects, or all projects.");
        else permissions.AddRange(projects.Select(p => new RobotPermissionEntry("project", p, access)));
        if (input.CreateProjects) permissions.Add(new RobotPermissionEntry("system", "/", [new RobotAccessEntry("project", "create")]));
        if (permissions.Count == 0 && ModelState.IsValid) ModelState.AddModelError("Input.Projects", "Give the robot at least one permission.");
        return permissions;
    }

    /// <summary>Permissions in words, e.g. "library: pull, push" or "System: create projects".</summary>
    public static IEnumerable<string> Describe(RobotEntry robot) => robot.Permissions.Select(p => p.Kind == "system"
        ? "System: " + string.Join(", ", p.Access.Select(a => a is { Resource: "project", Action: "create" } ? "create projects" : $"{a.Resource}:{a.Action}"))
        : $"{(p.Namespace == "*" ? "All projects" : p.Namespace)}: {Words(p.Access)}");

    private static string Words(IReadOnlyList<RobotAccessEntry> access)
    {
        var left = access.Where(a => a.Effect is null or "allow").Select(a => (a.Resource, a.Action)).ToHashSet();
        var words = new List<string>();
        foreach (var (value, _, entries) in Actions)
        {
            if (!entries.All(e => left.Contains((e.Resource, e.Action)))) continue;
            words.Add(value);
            foreach (var e in entries) left.Remove((e.Resource, e.Action));
        }
        words.AddRange(left.Select(a => $"{a.Resource}:{a.Action}"));
        return string.Join(", ", words);
    }

    public static string Expiry(RobotEntry robot) => robot.ExpiresAt <= 0 ? "Never"
        : DateTimeOffset.FromUnixTimeSeconds(robot.ExpiresAt).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static bool Expired(RobotEntry robot) => robot.ExpiresAt > 0 && DateTimeOffset.FromUnixTimeSeconds(robot.ExpiresAt) < DateTimeOffset.UtcNow;

    protected override bool Shows(long id) => Robots.Any(r => r.Id == id);

    protected override async Task<IActionResult> LoadAsync(CancellationToken cancellationToken)
    {
        var configuration = await Api.GetAsync<Dictionary<string, ConfigurationItem>>("/configurations", cancellationToken);
        if (configuration.Value is { } items)
        {
            if (items.TryGetValue("robot_name_prefix", out var prefix) && prefix.Value.ValueKind == JsonValueKind.String) Prefix = prefix.Value.GetString()!;
            if (items.TryGetValue("robot_token_duration", out var days) && days.Value.ValueKind == JsonValueKind.Number) DefaultDuration = days.Value.GetInt32();
        }
        Input.Duration ??= Input.NeverExpires ? null : DefaultDuration;

        var projects = await Api.GetAsync<List<ProjectChoice>>("/projects?page=1&page_size=100&sort=name", cancellationToken);
        Projects = projects.Value ?? [];
        MoreProjects = projects.Total > Projects.Count;

        var filters = new List<(string, string)> { ("level", "system") };
        if (QRoute is { } q) filters.Add(("name", "~" + q));
        var robots = await Api.GetAsync<List<RobotEntry>>($"/robots?page={P}&page_size={PageSize}&sort=name&q={Query([.. filters])}", cancellationToken);
        if (!robots.Ok) return Failed(robots, LoadKey) ?? Page();
        Robots = robots.Value ?? [];
        Total = robots.Total ?? Robots.Count;
        return Page();
    }
}
