using Registry.Grains.Metadata;

namespace Registry.Api.Management;

public sealed record AuditLogDto(long Id, string Username, string Resource, string ResourceType, string Operation, bool OperationResult, DateTimeOffset OpTime);

/// <summary>The audit log, globally (system admins) and per project (<c>log:list</c> in it).</summary>
public static class AuditEndpoints
{
    // Sorted by time only (the indexed column): the log grows without bound.
    private static readonly IReadOnlyList<Paging.Field> Fields =
    [
        new("username", Sortable: false), new("resource", Sortable: false), new("resource_type", Sortable: false), new("operation", Sortable: false),
        new("op_time", Fuzzy: false, Range: true),
    ];

    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/audit-logs", ListAsync).WithSummary("Get recent logs of the projects which the user is a member of with sysadmin role, or the logs of all projects").Produces<IReadOnlyList<AuditLogDto>>();
        api.MapGet("/projects/{project_name}/logs", ProjectAsync).WithSummary("Get recent logs of the projects").Produces<IReadOnlyList<AuditLogDto>>();
        return api;
    }

    private static async Task<IReadOnlyList<AuditLogDto>> ListAsync(HttpContext context, IIdentityStore store)
    {
        context.RequireSystem("audit-log", Auth.Rbac.Verbs.List);
        var query = Paging.Parse(context, Fields);
        return Paging.Respond(context, query, await store.ListAuditAsync(query, null, context.RequestAborted), ToDto);
    }

    /// <summary>Harbor's getLogs takes a project name only (no id, no X-Is-Resource-Name): "2024" is the project named 2024.</summary>
    private static async Task<IReadOnlyList<AuditLogDto>> ProjectAsync(HttpContext context, string project_name, IIdentityStore store)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Auth.Rbac.Resources.Log, Auth.Rbac.Verbs.List);
        var query = Paging.Parse(context, Fields);
        return Paging.Respond(context, query, await store.ListAuditAsync(query, access.Project.Id, context.RequestAborted), ToDto);
    }

    private static AuditLogDto ToDto(AuditRecord r) => new(r.Id, r.Username, r.Resource, r.ResourceType, r.Operation, r.Result == "success", r.OpTime);
}
