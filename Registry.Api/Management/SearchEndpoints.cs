using Registry.Api.Auth;
using Registry.Grains.Metadata;

namespace Registry.Api.Management;

/// <summary>Which projects a caller can see: what search, statistics and the list of all repositories are limited to.</summary>
public static class Visibility
{
    private static readonly ListFilter PublicOnly = new("public", FilterKind.Exact, "true");

    /// <summary>
    /// Null for callers who see every project (system admins, robots with the <c>*</c> namespace);
    /// otherwise the public projects plus the caller's own: member projects for a user, the
    /// projects its permissions name for a robot.
    /// </summary>
    public static async Task<IReadOnlyList<ProjectRecord>?> ProjectsAsync(Caller caller, IIdentityStore store, CancellationToken cancellationToken)
    {
        if (caller.SysAdmin) return null;
        if (caller.Robot is { } robot)
        {
            var namespaces = robot.Permissions.Where(p => p.Kind == "project").Select(p => p.Namespace).ToHashSet(StringComparer.Ordinal);
            if (namespaces.Contains("*")) return null;
            var all = await store.ListProjectsAsync(ListQuery.All, null, cancellationToken);
            return [.. all.Items.Where(p => p.Public || namespaces.Contains(p.Name))];
        }
        if (caller.UserId is { } userId) return (await store.ListProjectsAsync(ListQuery.All, userId, cancellationToken)).Items;
        return (await store.ListProjectsAsync(ListQuery.All with { Filters = [PublicOnly] }, null, cancellationToken)).Items;
    }
}

/// <summary>Harbor's <c>/search</c> and <c>/statistics</c>.</summary>
public static class SearchEndpoints
{
    /// <summary>Most projects and most repositories one search answers with (Harbor's search is not paged).</summary>
    public const int MaxResults = 100;

    public static RouteGroupBuilder MapSearchEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/search", SearchAsync).WithSummary("Search for projects and repositories").Produces<SearchDto>();
        api.MapGet("/statistics", StatisticsAsync).WithSummary("Get the statistic information about the projects and repositories").Produces<StatisticDto>();
        return api;
    }

    private static async Task<SearchDto> SearchAsync(HttpContext context, string? q, IIdentityStore store, IArtifactQueries queries)
    {
        if (q is null) throw Harbor.BadRequest("q is required");
        var caller = context.Caller();
        var cancellationToken = context.RequestAborted;
        var visible = await Visibility.ProjectsAsync(caller, store, cancellationToken);
        var byName = visible?.ToDictionary(p => p.Name, StringComparer.Ordinal);

        var projectFilters = new List<ListFilter>();
        if (q.Length > 0) projectFilters.Add(new ListFilter("name", FilterKind.Fuzzy, q));
        if (visible is not null) projectFilters.Add(new ListFilter("name", FilterKind.In, Values: visible.Count > 0 ? [.. visible.Select(p => p.Name)] : [""]));
        var projects = await store.ListProjectsAsync(new ListQuery(0, MaxResults, projectFilters, "name"), null, cancellationToken);
        var roles = caller.UserId is { } id ? await store.GetRolesAsync(id, cancellationToken) : new Dictionary<long, int>();
        var projectResults = new List<ProjectDto>(projects.Items.Count);
        foreach (var project in projects.Items)
        {
            projectResults.Add(ProjectEndpoints.ToDto(project, caller, roles.TryGetValue(project.Id, out var role) ? role : null,
                await queries.CountRepositoriesAsync(project.Name, cancellationToken)));
        }

        var repositoryResults = new List<SearchRepositoryDto>();
        if (visible is not { Count: 0 })
        {
            var repositoryFilters = q.Length > 0 ? new List<ListFilter> { new("name", FilterKind.Fuzzy, q) } : [];
            var repositories = await queries.ListRepositoriesAsync(new ListQuery(0, MaxResults, repositoryFilters, "name"),
                visible?.Select(p => p.Name).ToList(), cancellationToken);
            foreach (var repository in repositories.Items)
            {
                ProjectRecord? project = null;
                if (byName is not null) byName.TryGetValue(repository.Project, out project);
                else project = await store.GetProjectAsync(repository.Project, cancellationToken);
                if (project is null) continue;
                repositoryResults.Add(new SearchRepositoryDto(project.Id, project.Name, project.Public, repository.Name, repository.PullCount, repository.ArtifactCount));
            }
        }
        return new SearchDto(projectResults, repositoryResults);
    }

    /// <summary>
    /// As Harbor counts: a system admin gets every count and the storage used; anyone else the
    /// public projects and their repositories, plus the private projects they are a member of,
    /// and zero for the totals.
    /// </summary>
    private static async Task<StatisticDto> StatisticsAsync(HttpContext context, IIdentityStore store, IArtifactQueries queries)
    {
        var caller = context.SignedIn();
        var cancellationToken = context.RequestAborted;
        var visible = await Visibility.ProjectsAsync(caller, store, cancellationToken);
        if (visible is null)
        {
            var all = await queries.StatisticsAsync(cancellationToken);
            if (caller.SysAdmin)
            {
                return new StatisticDto(all.PrivateProjects, all.PrivateRepositories, all.PublicProjects, all.PublicRepositories,
                    all.PrivateProjects + all.PublicProjects, all.PrivateRepositories + all.PublicRepositories, all.StorageBytes);
            }
            return new StatisticDto(all.PrivateProjects, all.PrivateRepositories, all.PublicProjects, all.PublicRepositories, 0, 0, 0);
        }
        var publicProjects = visible.Where(p => p.Public).Select(p => p.Name).ToList();
        var privateProjects = visible.Where(p => !p.Public).Select(p => p.Name).ToList();
        return new StatisticDto(
            privateProjects.Count, await CountRepositoriesAsync(queries, privateProjects, cancellationToken),
            publicProjects.Count, await CountRepositoriesAsync(queries, publicProjects, cancellationToken),
            0, 0, 0);
    }

    private static async Task<long> CountRepositoriesAsync(IArtifactQueries queries, IReadOnlyCollection<string> projects, CancellationToken cancellationToken) =>
        projects.Count == 0 ? 0 : (await queries.ListRepositoriesAsync(new ListQuery(0, 1, []), projects, cancellationToken)).Total;
}
