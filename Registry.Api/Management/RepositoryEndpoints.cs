using Registry.Api.Auth;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using static Registry.Api.Auth.Rbac;

namespace Registry.Api.Management;

/// <summary>
/// Harbor's repositories: lists (per project and of everything the caller can see), one
/// repository's details, its description, and deleting it with every artifact. Writes of
/// manifests, tags and blob links go through the repository grain; reads come from the read
/// model (<see cref="IArtifactQueries"/>). Also maps the artifact, search and statistics endpoints.
/// </summary>
public static class RepositoryEndpoints
{
    private static readonly IReadOnlyList<Paging.Field> Fields =
    [
        new("name"),
        new("creation_time", Filterable: false), new("update_time", Filterable: false), new("pull_count", Filterable: false),
    ];

    public static RouteGroupBuilder MapRepositoryEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/repositories", ListAllAsync).WithSummary("List all authorized repositories").Produces<IReadOnlyList<RepositoryDto>>();
        api.MapGet("/projects/{project_name}/repositories", ListAsync).WithSummary("List repositories").Produces<IReadOnlyList<RepositoryDto>>();
        api.MapGet("/projects/{project_name}/repositories/{repository_name}", GetAsync).WithSummary("Get repository").Produces<RepositoryDto>();
        api.MapPut("/projects/{project_name}/repositories/{repository_name}", UpdateAsync).WithSummary("Update repository").Produces(200);
        api.MapDelete("/projects/{project_name}/repositories/{repository_name}", DeleteAsync).WithSummary("Delete repository").Produces(200);
        api.MapArtifactEndpoints();
        api.MapSearchEndpoints();
        return api;
    }

    private static async Task<IReadOnlyList<RepositoryDto>> ListAllAsync(HttpContext context, IIdentityStore store, IArtifactQueries queries, IGrainFactory grains)
    {
        var query = Paging.Parse(context, Fields);
        var visible = await Visibility.ProjectsAsync(context.Caller(), store, context.RequestAborted);
        if (visible is { Count: 0 })
        {
            Paging.WriteHeaders(context, query, 0);
            return [];
        }
        var page = await queries.ListRepositoriesAsync(query, visible?.Select(p => p.Name).ToList(), context.RequestAborted);
        var ids = visible?.ToDictionary(p => p.Name, p => p.Id) ?? [];
        var result = new List<RepositoryDto>(page.Items.Count);
        foreach (var repository in page.Items)
        {
            if (!ids.TryGetValue(repository.Project, out var projectId))
            {
                projectId = (await grains.GetGrain<IProjectGrain>(repository.Project).GetAsync())?.Id ?? 0;
                ids[repository.Project] = projectId;
            }
            result.Add(ToDto(repository, projectId));
        }
        Paging.WriteHeaders(context, query, page.Total);
        return result;
    }

    private static async Task<IReadOnlyList<RepositoryDto>> ListAsync(HttpContext context, string project_name, IArtifactQueries queries)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Repository, Verbs.List);
        var query = Paging.Parse(context, Fields);
        var page = await queries.ListRepositoriesAsync(query, [access.Project.Name], context.RequestAborted);
        return Paging.Respond(context, query, page, r => ToDto(r, access.Project.Id));
    }

    private static async Task<RepositoryDto> GetAsync(HttpContext context, string project_name, string repository_name, IArtifactQueries queries)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Repository, Verbs.Read);
        var name = Repositories.FullName(access, repository_name);
        return ToDto(await Repositories.GetAsync(queries, name, context.RequestAborted), access.Project.Id);
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, string project_name, string repository_name, RepositoryReq request,
        IArtifactQueries queries, AuditLog audit)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Repository, Verbs.Update);
        var name = Repositories.FullName(access, repository_name);
        await Repositories.GetAsync(queries, name, context.RequestAborted);
        if (!await queries.SetRepositoryDescriptionAsync(name, request.Description ?? "", context.RequestAborted))
            throw Harbor.NotFound($"repository {name} not found");
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, name, "repository", "update");
        return Results.Ok();
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string project_name, string repository_name,
        IArtifactQueries queries, IGrainFactory grains, AuditLog audit)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Repository, Verbs.Delete);
        var name = Repositories.FullName(access, repository_name);
        await Repositories.GetAsync(queries, name, context.RequestAborted);
        await grains.GetGrain<IRepositoryGrain>(name).DeleteAllAsync(context.Caller().Username);
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, name, "repository", "delete");
        return Results.Ok();
    }

    internal static RepositoryDto ToDto(RepositoryRecord r, long projectId) =>
        new(r.Id, projectId, r.Name, r.Description, r.ArtifactCount, r.PullCount, r.CreatedAt, r.UpdatedAt);
}

/// <summary>The project and repository named in a management API path.</summary>
public static class Repositories
{
    /// <summary>
    /// The project named <paramref name="projectName"/> (by name only, as Harbor's
    /// <c>project_name</c>) with the caller's standing: 404 when there is none or the caller may not
    /// read it (401 for anonymous callers), as <see cref="ManagementApi.ProjectAsync"/> answers, so
    /// the names of others' private projects reveal nothing.
    /// </summary>
    public static async Task<ProjectAccess> ProjectAsync(HttpContext context, string projectName)
    {
        var caller = context.Caller();
        if (!ProjectReqValidator.IsValidName(projectName)) throw Harbor.NotFound($"project {projectName} not found");
        var access = await context.RequestServices.GetRequiredService<AccessPolicy>().ProjectAsync(caller, projectName)
            ?? throw Harbor.NotFound($"project {projectName} not found");
        if (access.Can(Resources.Project, Verbs.Read)) return access;
        throw caller.IsAnonymous ? Harbor.Unauthorized() : Harbor.NotFound($"project {projectName} not found");
    }

    /// <summary>
    /// The full repository name from the path's <c>repository_name</c>: the part after the project,
    /// which Harbor clients URL-encode twice (<c>a%252Fb</c>); once (<c>a%2Fb</c>) is accepted too.
    /// </summary>
    public static string FullName(ProjectAccess access, string repositoryName)
    {
        var name = repositoryName;
        for (var i = 0; i < 3 && name.Contains('%'); i++) name = Uri.UnescapeDataString(name);
        var full = $"{access.Project.Name}/{name}";
        return RepositoryName.IsValid(full) ? full : throw Harbor.BadRequest($"invalid repository name '{name}'");
    }

    /// <summary>The path segment that names <paramref name="fullName"/> under its project, encoded twice as Harbor does.</summary>
    public static string PathSegment(string fullName) =>
        Uri.EscapeDataString(Uri.EscapeDataString(fullName[(fullName.IndexOf('/') + 1)..]));

    /// <summary>
    /// The repository from the read model; 404 when it is unknown. One whose artifacts were all
    /// deleted one by one is still there (with none), as in Harbor, until it is deleted itself.
    /// </summary>
    public static async Task<RepositoryRecord> GetAsync(IArtifactQueries queries, string name, CancellationToken cancellationToken) =>
        await queries.GetRepositoryAsync(name, cancellationToken) ?? throw Harbor.NotFound($"repository {name} not found");
}
