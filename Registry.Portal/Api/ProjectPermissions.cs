namespace Registry.Portal.Api;

/// <summary>What the signed-in user may do in one project, as the API says (<c>/users/current/permissions</c>).</summary>
public sealed class ProjectPermissions(IReadOnlySet<string> granted)
{
    public static readonly ProjectPermissions None = new(new HashSet<string>());

    /// <summary>E.g. <c>Can("member", "create")</c>, <c>Can("artifact", "delete")</c>.</summary>
    public bool Can(string resource, string action) => granted.Contains($"{resource}:{action}");

    private sealed record Entry(string Resource, string Action);

    public static async Task<ProjectPermissions> LoadAsync(RegistryApi api, string projectNameOrId, CancellationToken cancellationToken)
    {
        var result = await api.GetAsync<List<Entry>>($"/users/current/permissions?scope=/project/{Uri.EscapeDataString(projectNameOrId)}&relative=true", cancellationToken);
        return result.Ok && result.Value is { } entries ? new ProjectPermissions(entries.Select(e => $"{e.Resource}:{e.Action}").ToHashSet()) : None;
    }
}
