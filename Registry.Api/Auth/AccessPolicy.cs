using Registry.Grains.Abstractions;

namespace Registry.Api.Auth;

/// <summary>
/// What a caller may do on a repository. For now: system admins everything, everyone pulls from
/// public projects. Bearer callers are limited to their token's grants, which were computed here
/// when the token was issued.
/// </summary>
public sealed class AccessPolicy(IGrainFactory grains)
{
    private static readonly string[] Everything = [Actions.Pull, Actions.Push, Actions.Delete];
    private static readonly string[] PullOnly = [Actions.Pull];

    /// <summary>The actions allowed on <paramref name="repository"/>; empty when its project does not exist.</summary>
    public async Task<IReadOnlyList<string>> AllowedAsync(Caller caller, string repository)
    {
        if (caller.HasToken)
        {
            return caller.Grants!
                .Where(g => g.Type == "repository" && g.Name == repository)
                .SelectMany(g => g.Actions.Contains(Actions.All) ? Everything : g.Actions)
                .Distinct().ToList();
        }
        var project = await grains.GetGrain<IProjectGrain>(RepositoryName.ProjectOf(repository)).GetAsync();
        if (project is null) return [];
        if (caller.SysAdmin) return Everything;
        return project.Public ? PullOnly : [];
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
