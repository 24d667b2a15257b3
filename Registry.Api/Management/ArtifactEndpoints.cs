using Registry.Api.Auth;
using Registry.Grains.Abstractions;
using Registry.Grains.Manifests;
using Registry.Grains.Metadata;
using static Registry.Api.Auth.Rbac;

namespace Registry.Api.Management;

/// <summary>
/// Harbor's artifacts, their tags and accessories, and copying an artifact between repositories.
/// A <c>reference</c> is a digest or a tag, resolved by the repository grain; every change
/// (deleting manifests and tags, tagging, copying) goes through the repository grain.
/// </summary>
public static class ArtifactEndpoints
{
    private const string Base = "/projects/{project_name}/repositories/{repository_name}/artifacts";

    /// <summary>How deep indexes of indexes are followed when copying or deleting.</summary>
    private const int MaxDepth = 8;

    private static readonly IReadOnlyList<Paging.Field> Fields =
    [
        new("digest", Fuzzy: false, Sortable: true),
        new("tags", Sortable: false),
        new("media_type", Fuzzy: false, Sortable: false),
        new("artifact_type", Fuzzy: false, Sortable: false),
        new("labels", Fuzzy: false, Sortable: false, Intersect: true),
        new("push_time", Filterable: false), new("pull_time", Filterable: false),
    ];

    private static readonly IReadOnlyList<Paging.Field> TagFields =
    [
        new("name"), new("push_time", Filterable: false), new("pull_time", Filterable: false),
    ];

    private static readonly IReadOnlyList<Paging.Field> AccessoryFields =
    [
        new("type", Fuzzy: false, Sortable: false), new("digest", Fuzzy: false, Sortable: false), new("creation_time", Filterable: false),
    ];

    public static RouteGroupBuilder MapArtifactEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet(Base, ListAsync).WithSummary("List artifacts").Produces<IReadOnlyList<ArtifactDto>>();
        api.MapPost(Base, CopyAsync).WithSummary("Copy artifact").Produces(201);
        api.MapGet(Base + "/{reference}", GetAsync).WithSummary("Get the specific artifact").Produces<ArtifactDto>();
        api.MapDelete(Base + "/{reference}", DeleteAsync).WithSummary("Delete the specific artifact").Produces(200);
        api.MapGet(Base + "/{reference}/tags", ListTagsAsync).WithSummary("List tags").Produces<IReadOnlyList<TagDto>>();
        api.MapPost(Base + "/{reference}/tags", CreateTagAsync).WithSummary("Create tag").Produces(201);
        api.MapDelete(Base + "/{reference}/tags/{tag_name}", DeleteTagAsync).WithSummary("Delete tag").Produces(200);
        api.MapGet(Base + "/{reference}/accessories", ListAccessoriesAsync).WithSummary("List accessories").Produces<IReadOnlyList<AccessoryDto>>();
        return api;
    }

    private static async Task<IReadOnlyList<ArtifactDto>> ListAsync(HttpContext context, string project_name, string repository_name, IArtifactQueries queries)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Artifact, Verbs.List);
        var name = Repositories.FullName(access, repository_name);
        var options = ArtifactOptions.From(context);
        var query = Paging.Parse(context, Fields);
        if (query.Filters.Where(f => f.Field == "labels").SelectMany(f => f.Values ?? [f.Value ?? ""]).Any(v => !long.TryParse(v, out _)))
            throw Harbor.BadRequest("labels takes label ids: labels=1, labels={1 2} (any) or labels=(1 2) (all)");
        var page = await queries.ListArtifactsAsync(name, query, context.RequestAborted);
        if (page.Total == 0) await Repositories.GetAsync(queries, name, context.RequestAborted);
        var views = ArtifactViews.For(context);
        var result = new List<ArtifactDto>(page.Items.Count);
        foreach (var artifact in page.Items) result.Add(await views.ToDtoAsync(access, artifact, options, context.RequestAborted));
        Paging.WriteHeaders(context, query, page.Total);
        return result;
    }

    private static async Task<ArtifactDto> GetAsync(HttpContext context, string project_name, string repository_name, string reference,
        IArtifactQueries queries, IGrainFactory grains)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Artifact, Verbs.Read);
        var name = Repositories.FullName(access, repository_name);
        var options = ArtifactOptions.From(context);
        var record = await ResolveAsync(grains, queries, name, reference, context.RequestAborted);
        return await ArtifactViews.For(context).ToDtoAsync(access, record, options, context.RequestAborted);
    }

    /// <summary>
    /// Moves the artifact to the project's recycle bin with its accessories, and the children of
    /// an index that nothing else holds (no other index in the repository, no tag), as Harbor
    /// deletes them (the repository grain decides the group, in one transaction). An artifact that
    /// is a child of an index is refused (412): delete the index.
    /// </summary>
    private static async Task<IResult> DeleteAsync(HttpContext context, string project_name, string repository_name, string reference,
        IArtifactQueries queries, IGrainFactory grains, AuditLog audit)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Artifact, Verbs.Delete);
        var name = Repositories.FullName(access, repository_name);
        var record = await ResolveAsync(grains, queries, name, reference, context.RequestAborted);
        if (!await IsTopLevelAsync(queries, name, record.Digest, context.RequestAborted))
            throw Harbor.Precondition($"artifact {name}@{record.Digest} is referenced by an index; delete the index instead");
        await grains.GetGrain<IRepositoryGrain>(name).DeleteManifestAsync(record.Digest.ToString(), context.Caller().Username);
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"{name}@{record.Digest}", "artifact", "delete");
        return Results.Ok();
    }

    /// <summary>Whether the artifact is listed on its own, i.e. is not only a child of an index in the repository.</summary>
    private static async Task<bool> IsTopLevelAsync(IArtifactQueries queries, string repository, Digest digest, CancellationToken cancellationToken)
    {
        var page = await queries.ListArtifactsAsync(repository, new ListQuery(0, 1, [new ListFilter("digest", FilterKind.Exact, digest.ToString())]), cancellationToken);
        return page.Total > 0;
    }

    private static async Task<IReadOnlyList<TagDto>> ListTagsAsync(HttpContext context, string project_name, string repository_name, string reference,
        IArtifactQueries queries, IGrainFactory grains)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Tag, Verbs.List);
        var name = Repositories.FullName(access, repository_name);
        var query = Paging.Parse(context, TagFields);
        var record = await ResolveAsync(grains, queries, name, reference, context.RequestAborted);
        var tags = record.Tags.Select(t => ArtifactViews.ToTag(name, record.Id, t));
        return InMemory.Page(context, query, tags, (t, field) => field switch
        {
            "name" => t.Name,
            "push_time" => t.PushTime,
            "pull_time" => t.PullTime,
            _ => null,
        }, defaultSort: t => t.PushTime, defaultDescending: true);
    }

    private static async Task<IResult> CreateTagAsync(HttpContext context, string project_name, string repository_name, string reference, TagReq request,
        IArtifactQueries queries, IGrainFactory grains, AuditLog audit)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Tag, Verbs.Create);
        var name = Repositories.FullName(access, repository_name);
        var tag = request.Name!;
        var grain = grains.GetGrain<IRepositoryGrain>(name);
        var manifest = await ResolveManifestAsync(grain, name, reference, withContent: true);
        if (await grain.GetManifestAsync(tag, withContent: false) is not null) throw Harbor.Conflict($"tag {tag} already exists in {name}");
        var result = await grain.PutManifestAsync(new PutManifestCommand(tag, manifest.MediaType, manifest.Content!, manifest.Digest, context.Caller().Username));
        if (result.Error is not null) throw PutRefused(result, $"cannot tag {name}@{manifest.Digest}");
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"{name}:{tag}", "tag", "create");
        return context.Created($"{ManagementApi.Prefix}/projects/{access.Project.Name}/repositories/{Repositories.PathSegment(name)}/artifacts/{manifest.Digest}/tags/{tag}");
    }

    private static async Task<IResult> DeleteTagAsync(HttpContext context, string project_name, string repository_name, string reference, string tag_name,
        IGrainFactory grains, AuditLog audit)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Tag, Verbs.Delete);
        var name = Repositories.FullName(access, repository_name);
        var grain = grains.GetGrain<IRepositoryGrain>(name);
        var manifest = await ResolveManifestAsync(grain, name, reference, withContent: false);
        if (!RepositoryName.IsValidTag(tag_name) || (await grain.GetManifestAsync(tag_name, withContent: false))?.Digest != manifest.Digest)
            throw Harbor.NotFound($"tag {tag_name} not found on {name}@{manifest.Digest}");
        if (!await grain.DeleteManifestAsync(tag_name)) throw Harbor.NotFound($"tag {tag_name} not found in {name}");
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"{name}:{tag_name}", "tag", "delete");
        return Results.Ok();
    }

    private static async Task<IReadOnlyList<AccessoryDto>> ListAccessoriesAsync(HttpContext context, string project_name, string repository_name, string reference,
        IArtifactQueries queries, IGrainFactory grains)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Accessory, Verbs.List);
        var name = Repositories.FullName(access, repository_name);
        var query = Paging.Parse(context, AccessoryFields);
        var record = await ResolveAsync(grains, queries, name, reference, context.RequestAborted);
        var accessories = await ArtifactViews.For(context).AccessoriesAsync(name, record.Digest, record.Id, context.RequestAborted);
        return InMemory.Page(context, query, accessories, (a, field) => field switch
        {
            "type" => a.Type,
            "digest" => a.Digest,
            "creation_time" => a.CreationTime,
            _ => null,
        }, defaultSort: a => a.CreationTime, defaultDescending: true);
    }

    /// <summary>
    /// Copies <c>from</c> (<c>project/repository:tag</c> or <c>project/repository@digest</c>) into this
    /// repository: the children of an index first, each manifest's blobs linked here with their
    /// sizes in the source, then the manifest by digest, and the tag when <c>from</c> names one.
    /// The caller needs pull on the source and push (artifact create) here; a source the caller
    /// cannot read is not found, whether it exists or not.
    /// </summary>
    private static async Task<IResult> CopyAsync(HttpContext context, string project_name, string repository_name, string? from,
        IGrainFactory grains, AccessPolicy policy, AuditLog audit)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.Artifact, Verbs.Create);
        var name = Repositories.FullName(access, repository_name);
        var (source, sourceReference, tag) = ParseFrom(from);
        var caller = context.Caller();

        var sourceAccess = await policy.ProjectAsync(caller, RepositoryName.ProjectOf(source));
        if (sourceAccess is null || !sourceAccess.Can(Resources.Project, Verbs.Read)) throw Harbor.NotFound($"artifact {from} not found");
        if (!sourceAccess.Can(Resources.Repository, Verbs.Pull)) throw caller.Denied($"pull {source}");

        var sourceGrain = grains.GetGrain<IRepositoryGrain>(source);
        var targetGrain = grains.GetGrain<IRepositoryGrain>(name);
        var root = await sourceGrain.GetManifestAsync(sourceReference, withContent: true) ?? throw Harbor.NotFound($"artifact {from} not found");
        await CopyManifestAsync(sourceGrain, targetGrain, root, source, caller.Username, [], 0);
        if (tag is not null)
        {
            var tagged = await targetGrain.PutManifestAsync(new PutManifestCommand(tag, root.MediaType, root.Content!, root.Digest, caller.Username));
            if (tagged.Error is not null) throw PutRefused(tagged, $"cannot tag the copy {name}@{root.Digest} as {tag}");
        }
        await audit.RecordAsync(caller.Username!, access.Project.Id, tag is null ? $"{name}@{root.Digest}" : $"{name}:{tag}", "artifact", "create");
        return context.Created($"{ManagementApi.Prefix}/projects/{access.Project.Name}/repositories/{Repositories.PathSegment(name)}/artifacts/{root.Digest}");
    }

    private static async Task CopyManifestAsync(IRepositoryGrain source, IRepositoryGrain target, ManifestResponse manifest, string sourceName,
        string? @operator, HashSet<Digest> copied, int depth)
    {
        if (!copied.Add(manifest.Digest)) return;
        if (depth > MaxDepth) throw Harbor.BadRequest($"indexes nested more than {MaxDepth} deep cannot be copied");
        if (await target.GetManifestAsync(manifest.Digest.ToString(), withContent: false) is not null) return;
        var parsed = ManifestParser.Parse(manifest.Content!, manifest.MediaType, out var detail)
            ?? throw new InvalidOperationException($"stored manifest {sourceName}@{manifest.Digest} does not parse: {detail}");

        foreach (var child in parsed.ChildManifests)
        {
            var content = await source.GetManifestAsync(child.ToString(), withContent: true)
                ?? throw Harbor.NotFound($"manifest {child} of {sourceName}@{manifest.Digest} is missing in the source");
            await CopyManifestAsync(source, target, content, sourceName, @operator, copied, depth + 1);
        }
        foreach (var blob in parsed.RequiredBlobs.Concat(parsed.OptionalBlobs).Distinct())
        {
            if (await target.GetBlobSizeAsync(blob) is not null) continue;
            if (await source.GetBlobSizeAsync(blob) is { } size) await target.LinkBlobAsync(blob, size);
            else if (parsed.RequiredBlobs.Contains(blob)) throw Harbor.NotFound($"blob {blob} of {sourceName}@{manifest.Digest} is missing in the source");
        }
        var result = await target.PutManifestAsync(new PutManifestCommand(manifest.Digest.ToString(), manifest.MediaType, manifest.Content!, manifest.Digest, @operator));
        if (result.Error is not null) throw PutRefused(result, $"cannot copy {sourceName}@{manifest.Digest}");
    }

    /// <summary>A refused tag or copy: a project policy (quota, immutability) is Harbor's 403 with the policy's reason; anything else a 400.</summary>
    private static HarborException PutRefused(PutManifestResult result, string what) =>
        result.Error == OciErrorCode.PolicyDenied ? Harbor.Forbidden($"{what}: {result.Detail}") : Harbor.BadRequest($"{what}: {result.Detail}");

    /// <summary><c>project/repository:tag</c> or <c>project/repository@digest</c>.</summary>
    private static (string Repository, string Reference, string? Tag) ParseFrom(string? from)
    {
        if (string.IsNullOrEmpty(from)) throw Harbor.BadRequest("from is required: project/repository:tag or project/repository@digest");
        string repository, reference;
        string? tag = null;
        var at = from.IndexOf('@');
        if (at >= 0)
        {
            repository = from[..at];
            reference = from[(at + 1)..];
            if (!Digest.TryParse(reference, out _)) throw Harbor.BadRequest($"invalid digest in from '{from}'");
        }
        else
        {
            var colon = from.LastIndexOf(':');
            if (colon < 0 || colon < from.LastIndexOf('/')) throw Harbor.BadRequest($"from '{from}' names no tag or digest");
            repository = from[..colon];
            reference = tag = from[(colon + 1)..];
            if (!RepositoryName.IsValidTag(tag)) throw Harbor.BadRequest($"invalid tag in from '{from}'");
        }
        if (!RepositoryName.IsValid(repository)) throw Harbor.BadRequest($"invalid repository in from '{from}'");
        return (repository, reference, tag);
    }

    /// <summary>The manifest a digest or tag names in the repository; 400 for a malformed reference, 404 when there is none.</summary>
    private static async Task<ManifestResponse> ResolveManifestAsync(IRepositoryGrain grain, string repository, string reference, bool withContent)
    {
        var valid = Digest.LooksLikeDigest(reference) ? Digest.TryParse(reference, out _) : RepositoryName.IsValidTag(reference);
        if (!valid) throw Harbor.BadRequest($"invalid reference '{reference}': a digest or a tag");
        return await grain.GetManifestAsync(reference, withContent) ?? throw Harbor.NotFound($"artifact {repository}:{reference} not found");
    }

    private static async Task<ArtifactRecord> ResolveAsync(IGrainFactory grains, IArtifactQueries queries, string repository, string reference, CancellationToken cancellationToken)
    {
        var manifest = await ResolveManifestAsync(grains.GetGrain<IRepositoryGrain>(repository), repository, reference, withContent: false);
        return await queries.GetArtifactAsync(repository, manifest.Digest, cancellationToken)
            ?? throw Harbor.NotFound($"artifact {repository}:{reference} not found");
    }
}

/// <summary>Harbor's q, sort and paging over a list already in memory (tags and accessories of one artifact).</summary>
public static class InMemory
{
    public static IReadOnlyList<T> Page<T>(HttpContext context, ListQuery query, IEnumerable<T> items, Func<T, string, object?> field,
        Func<T, object?> defaultSort, bool defaultDescending)
    {
        foreach (var filter in query.Filters)
        {
            items = items.Where(item => Matches(field(item, filter.Field)?.ToString(), filter)).ToList();
        }
        var sort = query.Sort is { } name ? (Func<T, object?>)(item => field(item, name)) : defaultSort;
        var descending = query.Sort is null ? defaultDescending : query.Descending;
        var sorted = descending ? items.OrderByDescending(sort, Comparer<object?>.Default) : items.OrderBy(sort, Comparer<object?>.Default);
        var all = sorted.ToList();
        Paging.WriteHeaders(context, query, all.Count);
        return [.. all.Skip(query.Offset).Take(query.Limit)];
    }

    private static bool Matches(string? value, ListFilter filter) => filter.Kind switch
    {
        FilterKind.Exact => string.Equals(value, filter.Value, StringComparison.Ordinal),
        FilterKind.Fuzzy => value is not null && value.Contains(filter.Value ?? "", StringComparison.OrdinalIgnoreCase),
        FilterKind.In => filter.Values?.Contains(value) == true,
        _ => false,
    };
}
