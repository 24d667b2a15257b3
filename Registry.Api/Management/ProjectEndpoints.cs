using System.Text.Json;
using System.Text.RegularExpressions;
using FluentValidation;
using Registry.Api.Auth;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using static Registry.Api.Auth.Rbac;

namespace Registry.Api.Management;

/// <summary>Harbor's ProjectReq: <c>metadata.public</c> (or the older <c>public</c>) and <c>storage_limit</c> in bytes (-1 unlimited).</summary>
public sealed record ProjectReq(string? ProjectName, bool? Public, Dictionary<string, JsonElement>? Metadata, long? StorageLimit, long? RegistryId)
{
    /// <summary>The visibility asked for, from metadata.public ("true"/"false" or a JSON boolean) or public; null when not given.</summary>
    public bool? RequestedPublic()
    {
        if (Metadata is not null && Metadata.TryGetValue("public", out var value))
        {
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.String when value.GetString() is "true" or "false" => value.GetString() == "true",
                _ => throw Harbor.BadRequest("metadata.public must be \"true\" or \"false\""),
            };
        }
        return Public;
    }
}

public sealed partial class ProjectReqValidator : AbstractValidator<ProjectReq>
{
    [GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*$")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string? name) => name is { Length: >= 1 and <= 255 } && NamePattern().IsMatch(name);

    public ProjectReqValidator()
    {
        RuleFor(r => r.ProjectName).Must(n => n is null || IsValidName(n))
            .WithMessage("project_name must be 1-255 characters of lower-case letters and digits, separated by single '.', '_' or '-'");
        RuleFor(r => r.StorageLimit).Must(l => l is null || l == -1 || l >= 0).WithMessage("storage_limit must be -1 (unlimited) or a number of bytes");
        RuleFor(r => r.RegistryId).Must(id => id is null or 0).WithMessage("registry_id (proxy cache) is not supported for this project");
        RuleFor(r => r.Metadata).Must(m => m is null || m.Keys.All(k => KnownMetadata.Contains(k)))
            .WithMessage(r => $"unknown metadata key(s): {string.Join(", ", r.Metadata!.Keys.Where(k => !KnownMetadata.Contains(k)))}");
    }

    /// <summary>Harbor's project metadata keys; only <c>public</c> has an effect here, the others are accepted and ignored as Harbor's defaults.</summary>
    private static readonly HashSet<string> KnownMetadata = ["public", "enable_content_trust", "enable_content_trust_cosign", "prevent_vul", "severity", "auto_scan", "auto_sbom_generation", "reuse_sys_cve_allowlist", "retention_id", "proxy_speed_kb"];
}

public sealed record ProjectDto(
    long ProjectId, long OwnerId, string Name, DateTimeOffset CreationTime, DateTimeOffset UpdateTime, bool Deleted,
    string OwnerName, bool Togglable, int? CurrentUserRoleId, IReadOnlyList<int> CurrentUserRoleIds, long RepoCount,
    IReadOnlyDictionary<string, string> Metadata);

public sealed record QuotaUsage(long Storage);

public sealed record ProjectQuota(QuotaUsage Hard, QuotaUsage Used);

public sealed record ProjectSummary(long RepoCount, int ProjectAdminCount, int MaintainerCount, int DeveloperCount, int GuestCount, int LimitedGuestCount, ProjectQuota Quota);

public sealed record ProjectDeletable(bool Deletable, string Message);

public static class ProjectEndpoints
{
    private static readonly IReadOnlyList<Paging.Field> Fields =
    [
        new("name"), new("public", Fuzzy: false, Sortable: false), new("owner", Fuzzy: false, Sortable: false),
        new("creation_time", Filterable: false), new("update_time", Filterable: false),
    ];

    public static RouteGroupBuilder MapProjectEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/projects", ListAsync).WithSummary("List projects").Produces<IReadOnlyList<ProjectDto>>();
        api.MapMethods("/projects", ["HEAD"], HeadAsync).WithSummary("Check if the project name user provided already exists").Produces(200).Produces(401).Produces(404);
        api.MapPost("/projects", CreateAsync).WithSummary("Create a new project").Produces(201);
        api.MapGet("/projects/{project_name_or_id}", GetAsync).WithSummary("Return specific project detail information").Produces<ProjectDto>();
        api.MapPut("/projects/{project_name_or_id}", UpdateAsync).WithSummary("Update properties for a selected project").Produces(200);
        api.MapDelete("/projects/{project_name_or_id}", DeleteAsync).WithSummary("Delete project by projectID").Produces(200).Produces(412);
        api.MapGet("/projects/{project_name_or_id}/summary", SummaryAsync).WithSummary("Get summary of the project").Produces<ProjectSummary>();
        api.MapGet("/projects/{project_name_or_id}/_deletable", DeletableAsync).WithSummary("Get the deletable status of the project").Produces<ProjectDeletable>();
        return api;
    }

    private static async Task<IReadOnlyList<ProjectDto>> ListAsync(HttpContext context, IIdentityStore store, IArtifactQueries artifacts,
        string? name, bool? @public, string? owner)
    {
        var caller = context.Caller();
        var extra = new List<ListFilter>();
        if (name is not null) extra.Add(new ListFilter("name", FilterKind.Fuzzy, name));
        if (@public is { } p) extra.Add(new ListFilter("public", FilterKind.Exact, p ? "true" : "false"));
        if (owner is not null) extra.Add(new ListFilter("owner", FilterKind.Exact, owner));
        long? visibleTo = null;
        if (caller.IsAnonymous) extra.Add(new ListFilter("public", FilterKind.Exact, "true"));
        else if (caller.Robot is { } robot)
        {
            var namespaces = robot.Permissions.Where(x => x.Kind == "project").Select(x => x.Namespace).Distinct().ToList();
            if (!namespaces.Contains("*")) extra.Add(new ListFilter("name", FilterKind.In, Values: namespaces.Count > 0 ? namespaces : [""]));
        }
        else if (!caller.SysAdmin) visibleTo = caller.UserId;

        var query = Paging.Parse(context, Fields, extra);
        var page = await store.ListProjectsAsync(query, visibleTo, context.RequestAborted);
        var roles = caller.UserId is { } id ? await store.GetRolesAsync(id, context.RequestAborted) : new Dictionary<long, int>();
        var retentions = await context.RequestServices.GetRequiredService<IRetentionStore>()
            .GetPolicyIdsOfProjectsAsync([.. page.Items.Select(p => p.Id)], context.RequestAborted);
        var result = new List<ProjectDto>(page.Items.Count);
        foreach (var project in page.Items)
        {
            result.Add(WithRetention(ToDto(project, caller, roles.TryGetValue(project.Id, out var role) ? role : null,
                await artifacts.CountRepositoriesAsync(project.Name, context.RequestAborted)), retentions.TryGetValue(project.Id, out var policy) ? policy : null));
        }
        Paging.WriteHeaders(context, query, page.Total);
        return result;
    }

    /// <summary>
    /// Whether a project name is taken (private projects too: names are global), for signed-in
    /// callers only, as Harbor's headProject: anonymous callers must not learn which private projects exist.
    /// </summary>
    private static async Task<IResult> HeadAsync(HttpContext context, IIdentityStore store, string? project_name)
    {
        context.SignedIn();
        if (string.IsNullOrEmpty(project_name)) throw Harbor.BadRequest("project_name is required");
        return await store.GetProjectAsync(project_name, context.RequestAborted) is null ? Results.NotFound() : Results.Ok();
    }

    private static async Task<IResult> CreateAsync(HttpContext context, ProjectReq request, IIdentityStore store, SystemSettings settings, AuditLog audit, IGrainFactory grains)
    {
        var caller = context.SignedIn();
        if (string.IsNullOrEmpty(request.ProjectName)) throw Harbor.BadRequest("project_name is required");
        var admin = AccessPolicy.CanOnSystem(caller, Resources.Project, Verbs.Create);
        if (caller.IsRobot && !admin) throw caller.Denied("create projects");
        if ((await settings.GetAsync(context.RequestAborted)).OnlyAdminsCreateProjects && !admin)
            throw Harbor.Forbidden("only system admins may create projects (project_creation_restriction is adminonly)");
        if (request.StorageLimit is { } limit && limit != -1 && !caller.SysAdmin) throw Harbor.Forbidden("only system admins may set storage_limit");

        var created = await store.CreateProjectAsync(request.ProjectName, request.RequestedPublic() ?? false, caller.UserId ?? 1,
            request.StorageLimit ?? -1, context.RequestAborted) ?? throw Harbor.Conflict($"project {request.ProjectName} already exists");
        await grains.GetGrain<IProjectGrain>(created.Name).RefreshAsync();
        await audit.RecordAsync(caller.Username!, created.Id, created.Name, "project", "create");
        return context.Created($"{ManagementApi.Prefix}/projects/{created.Id}");
    }

    private static async Task<ProjectDto> GetAsync(HttpContext context, string project_name_or_id, IIdentityStore store, IArtifactQueries artifacts)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        var record = await store.GetProjectByIdAsync(access.Project.Id, context.RequestAborted) ?? throw Harbor.NotFound($"project {project_name_or_id} not found");
        var retention = await context.RequestServices.GetRequiredService<IRetentionStore>().GetPolicyOfProjectAsync(record.Id, context.RequestAborted);
        return WithRetention(ToDto(record, context.Caller(), access.Role, await artifacts.CountRepositoriesAsync(record.Name, context.RequestAborted)), retention?.Id);
    }

    /// <summary>Harbor binds a project to its retention policy through the <c>retention_id</c> metadata, in the list as in the project.</summary>
    private static ProjectDto WithRetention(ProjectDto dto, long? policyId) => policyId is { } id
        ? dto with { Metadata = new Dictionary<string, string>(dto.Metadata) { ["retention_id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) } }
        : dto;

    private static async Task<IResult> UpdateAsync(HttpContext context, string project_name_or_id, ProjectReq request, IIdentityStore store, AuditLog audit, IGrainFactory grains)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Project, Verbs.Update);
        var caller = context.Caller();
        if (request.ProjectName is not null && request.ProjectName != access.Project.Name) throw Harbor.BadRequest("a project cannot be renamed");
        if (request.StorageLimit is not null && !caller.SysAdmin) throw Harbor.Forbidden("only system admins may change storage_limit");
        await store.UpdateProjectAsync(access.Project.Id, request.RequestedPublic(), request.StorageLimit, context.RequestAborted);
        await grains.GetGrain<IProjectGrain>(access.Project.Name).RefreshAsync();
        await audit.RecordAsync(caller.Username!, access.Project.Id, access.Project.Name, "project", "update");
        return Results.Ok();
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string project_name_or_id, IIdentityStore store, AuditLog audit, IGrainFactory grains)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Project, Verbs.Delete);
        switch (await store.DeleteProjectAsync(access.Project.Id, context.RequestAborted))
        {
            case DeleteProjectResult.NotEmpty:
                throw Harbor.Precondition($"project {access.Project.Name} contains repositories; delete them first");
            case DeleteProjectResult.NotFound:
                throw Harbor.NotFound($"project {project_name_or_id} not found");
        }
        await grains.GetGrain<IProjectGrain>(access.Project.Name).RefreshAsync();
        // What the project's repositories left in its recycle bin goes with it.
        await context.RequestServices.GetRequiredService<IRecycleBinStore>().PurgeAsync(access.Project.Id, null, context.RequestAborted);
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, access.Project.Name, "project", "delete");
        return Results.Ok();
    }

    private static async Task<ProjectSummary> SummaryAsync(HttpContext context, string project_name_or_id, IIdentityStore store, IArtifactQueries artifacts,
        IGovernanceStore governance)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        var record = await store.GetProjectByIdAsync(access.Project.Id, context.RequestAborted) ?? throw Harbor.NotFound($"project {project_name_or_id} not found");
        var counts = access.Can(Resources.Member, Verbs.List)
            ? await store.CountMembersByRoleAsync(record.Id, context.RequestAborted)
            : new Dictionary<int, int>();
        int Count(int role) => counts.TryGetValue(role, out var n) ? n : 0;
        return new ProjectSummary(
            await artifacts.CountRepositoriesAsync(record.Name, context.RequestAborted),
            Count(ProjectRoles.ProjectAdmin), Count(ProjectRoles.Maintainer), Count(ProjectRoles.Developer), Count(ProjectRoles.Guest), Count(ProjectRoles.LimitedGuest),
            new ProjectQuota(new QuotaUsage(record.StorageLimit), new QuotaUsage((await governance.GetQuotaAsync(record.Id, context.RequestAborted))?.Used ?? 0)));
    }

    private static async Task<ProjectDeletable> DeletableAsync(HttpContext context, string project_name_or_id, IArtifactQueries artifacts)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Project, Verbs.Delete);
        var repositories = await artifacts.CountRepositoriesAsync(access.Project.Name, context.RequestAborted);
        return repositories == 0 ? new ProjectDeletable(true, "") : new ProjectDeletable(false, $"the project contains {repositories} repositories");
    }

    internal static ProjectDto ToDto(ProjectRecord project, Caller caller, int? role, long repositories)
    {
        if (caller.SysAdmin) role ??= ProjectRoles.ProjectAdmin;
        return new ProjectDto(project.Id, project.OwnerId, project.Name, project.CreatedAt, project.UpdatedAt, false, project.OwnerName,
            true, role, role is { } r ? [r] : [], repositories,
            new Dictionary<string, string> { ["public"] = project.Public ? "true" : "false" });
    }
}
