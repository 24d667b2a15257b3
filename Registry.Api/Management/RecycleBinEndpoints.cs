using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using static Registry.Api.Auth.Rbac;

namespace Registry.Api.Management;

/// <summary>An artifact in its project's recycle bin: what it was, who deleted it, when, and until when it can come back.</summary>
public sealed record RecycleBinEntryDto(
    long Id,
    long ProjectId,
    string RepositoryName,
    string Digest,
    string MediaType,
    string? ArtifactType,
    long Size,
    IReadOnlyList<string> Tags,
    string DeletedBy,
    DateTimeOffset DeletionTime,
    DateTimeOffset ExpirationTime);

/// <summary>
/// The recycle bin (ours; Harbor has none): artifacts deleted by digest, through the OCI API, the
/// artifact and repository deletes or tag retention, wait here until they expire
/// (<c>recycle_bin_retention_days</c>) or are purged, and can be restored with their tags.
/// Listing and restoring need the right to delete artifacts (maintainers and up), as restoring
/// undoes such a delete; purging, which makes a delete final, needs the project admin.
/// </summary>
public static class RecycleBinEndpoints
{
    private const string Base = "/projects/{project_name_or_id}/recyclebin";

    private static readonly IReadOnlyList<Paging.Field> Fields =
    [
        new("repository_name"), new("digest"), new("deleted_by"), new("media_type", Fuzzy: false, Sortable: false),
        new("size", Filterable: false), new("deletion_time", Fuzzy: false, Range: true), new("expiration_time", Fuzzy: false, Range: true),
    ];

    public static RouteGroupBuilder MapRecycleBinEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet(Base, ListAsync).WithSummary("List the artifacts in the project's recycle bin").Produces<IReadOnlyList<RecycleBinEntryDto>>();
        api.MapPost(Base + "/{id}/restore", RestoreAsync).WithSummary("Restore an artifact from the recycle bin").Produces(200).Produces(409).Produces(412);
        api.MapDelete(Base + "/{id}", PurgeAsync).WithSummary("Purge an artifact from the recycle bin").Produces(200);
        api.MapDelete(Base, PurgeAllAsync).WithSummary("Purge the project's recycle bin").Produces(200);
        return api;
    }

    private static async Task<IReadOnlyList<RecycleBinEntryDto>> ListAsync(HttpContext context, string project_name_or_id, IRecycleBinStore bin)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Artifact, Verbs.Delete);
        var query = Paging.Parse(context, Fields);
        var page = await bin.ListAsync(access.Project.Id, query, context.RequestAborted);
        Paging.WriteHeaders(context, query, page.Total);
        return [.. page.Items.Select(ToDto)];
    }

    private static async Task<IResult> RestoreAsync(HttpContext context, string project_name_or_id, long id, IRecycleBinStore bin, IGrainFactory grains, AuditLog audit)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Artifact, Verbs.Delete);
        var entry = await bin.GetAsync(access.Project.Id, id, context.RequestAborted) ?? throw Harbor.NotFound($"recycle bin entry {id} not found");
        var result = await grains.GetGrain<IRepositoryGrain>(entry.Repository).RestoreAsync(id);
        var resource = $"{entry.Repository}@{entry.Digest}";
        if (result.Status != RestoreStatus.Restored)
        {
            await audit.RecordAsync(context.Caller().Username!, access.Project.Id, resource, "artifact", "restore", success: false);
            throw result.Status switch
            {
                RestoreStatus.NotFound => Harbor.NotFound(result.Detail ?? $"recycle bin entry {id} not found"),
                RestoreStatus.Conflict => Harbor.Conflict(result.Detail ?? "conflict"),
                RestoreStatus.QuotaExceeded => Harbor.Forbidden(result.Detail ?? "the project's storage quota would be exceeded"),
                _ => Harbor.Precondition(result.Detail ?? "the artifact can no longer be restored"),
            };
        }
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, resource, "artifact", "restore");
        return Results.Ok();
    }

    private static async Task<IResult> PurgeAsync(HttpContext context, string project_name_or_id, long id, IRecycleBinStore bin, AuditLog audit)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Project, Verbs.Update);
        var entry = await bin.GetAsync(access.Project.Id, id, context.RequestAborted) ?? throw Harbor.NotFound($"recycle bin entry {id} not found");
        if (await bin.PurgeAsync(access.Project.Id, id, context.RequestAborted) == 0) throw Harbor.NotFound($"recycle bin entry {id} not found");
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"{entry.Repository}@{entry.Digest}", "artifact", "purge");
        return Results.Ok();
    }

    private static async Task<IResult> PurgeAllAsync(HttpContext context, string project_name_or_id, IRecycleBinStore bin, AuditLog audit)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Project, Verbs.Update);
        await bin.PurgeAsync(access.Project.Id, null, context.RequestAborted);
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, access.Project.Name, "recyclebin", "purge");
        return Results.Ok();
    }

    private static RecycleBinEntryDto ToDto(RecycleBinRecord r) => new(r.Id, r.ProjectId, r.Repository, r.Digest.ToString(), r.MediaType, r.ArtifactType,
        r.Size, r.Tags, r.DeletedBy, r.DeletedAt, r.ExpiresAt);
}
