using Registry.Grains.Abstractions;
using static Registry.Api.Auth.Rbac;

namespace Registry.Api.Auth;

/// <summary>A caller's standing in one project: the project, their role (users) and what they may do.</summary>
public sealed record ProjectAccess(ProjectInfo Project, int? Role, IReadOnlySet<Permission> Permissions)
{
    public bool Can(string resource, string action) => Permissions.Contains(new Permission(resource, action));
}

/// <summary>
/// What a caller may do, everywhere (distribution API, token service, management API), from
/// Harbor's role matrix: system admins everything; members what their role allows; robots what
/// their permissions list for the project; everyone pulls and reads public projects. Bearer callers
/// of the distribution API are limited to their token's grants, computed here when it was issued.
/// </summary>
public sealed class AccessPolicy(IGrainFactory grains)
{
    private static readonly string[] Everything = [Actions.Pull, Actions.Push, Actions.Delete];

    /// <summary>The project and what the caller may do in it; null when there is no such project.</summary>
    public async Task<ProjectAccess?> ProjectAsync(Caller caller, string project)
    {
        var grain = grains.GetGrain<IProjectGrain>(project);
        ProjectInfo? info;
        int? role = null;
        if (caller.UserId is { } userId && !caller.SysAdmin)
        {
            if (await grain.GetAccessAsync(userId) is not { } access) return null;
            (info, role) = access;
        }
        else
        {
            info = await grain.GetAsync();
            if (info is null) return null;
        }
        return new ProjectAccess(info, role, PermissionsIn(caller, info, role));
    }

    private static IReadOnlySet<Permission> PermissionsIn(Caller caller, ProjectInfo project, int? role)
    {
        if (caller.SysAdmin) return ProjectScope;
        var granted = new HashSet<Permission>(OfRole(role));
        if (caller.Robot is { } robot)
        {
            foreach (var permission in robot.Permissions.Where(p => p.Kind == "project" && (p.Namespace == project.Name || p.Namespace == "*")))
            {
                foreach (var access in permission.Access.Where(a => a.Effect != "deny"))
                {
                    var p = new Permission(access.Resource, access.Action);
                    if (ProjectScope.Contains(p)) granted.Add(p);
                }
            }
        }
        if (project.Public) granted.UnionWith(OfPublicProject);
        return granted;
    }

    /// <summary>
    /// A system-level permission (creating projects, listing users, the audit log): system admins,
    /// and robots given it at system level.
    /// </summary>
    public static bool CanOnSystem(Caller caller, string resource, string action) =>
        caller.SysAdmin || (caller.Robot?.Permissions.Any(p => p.Kind == "system" &&
            p.Access.Any(a => a.Resource == resource && a.Action == action && a.Effect != "deny")) ?? false);

    /// <summary>The distribution API's actions allowed on <paramref name="repository"/>; empty when its project does not exist.</summary>
    public async Task<IReadOnlyList<string>> AllowedAsync(Caller caller, string repository)
    {
        if (caller.HasToken)
        {
            return caller.Grants!
                .Where(g => g.Type == "repository" && g.Name == repository)
                .SelectMany(g => g.Actions.Contains(Actions.All) ? Everything : g.Actions)
                .Distinct().ToList();
        }
        var access = await ProjectAsync(caller, RepositoryName.ProjectOf(repository));
        return access is null ? [] : [.. OciActions(access.Permissions)];
    }

    public async Task<bool> ProjectExistsAsync(string repository) =>
        await grains.GetGrain<IProjectGrain>(RepositoryName.ProjectOf(repository)).GetAsync() is not null;

    public static bool CanListCatalog(Caller caller) =>
        caller.SysAdmin || (caller.Grants?.Any(g => g.Type == "registry" && g.Name == "catalog" && g.Actions.Contains(Actions.All)) ?? false);

    /// <summary>Intersects what was asked with what the policy allows: the grants of a new token.</summary>
    public async Task<TokenAccess?> GrantAsync(Caller caller, string type, string name, IReadOnlyList<string> requested)
    {
        if (type == "registry" && name == "catalog")
            return caller.SysAdmin && requested.Contains(Actions.All) ? new TokenAccess(type, name, [Actions.All]) : null;
        if (type != "repository" || !RepositoryName.IsValid(name)) return null;
        var allowed = await AllowedAsync(caller, name);
        var wanted = requested.Contains(Actions.All) ? Everything : requested;
        var granted = wanted.Where(allowed.Contains).Distinct().ToList();
        if (requested.Contains(Actions.All) && granted.Count == Everything.Length) granted = [Actions.All];
        return new TokenAccess(type, name, granted);
    }
}
