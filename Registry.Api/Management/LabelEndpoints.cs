using System.Text.RegularExpressions;
using FluentValidation;
using Registry.Api.Auth;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using static Registry.Api.Auth.Rbac;

namespace Registry.Api.Management;

/// <summary>Harbor's Label: the POST and PUT body and what GET returns.</summary>
public sealed record LabelDto(long? Id, string? Name, string? Description, string? Color, string? Scope, long? ProjectId,
    DateTimeOffset? CreationTime, DateTimeOffset? UpdateTime)
{
    public static LabelDto From(LabelRecord l) =>
        new(l.Id, l.Name, l.Description, l.Color, l.Scope, l.ProjectId, l.CreatedAt, l.UpdatedAt);
}

public sealed partial class LabelDtoValidator : AbstractValidator<LabelDto>
{
    [GeneratedRegex("^#[0-9A-Fa-f]{6}$")]
    private static partial Regex ColorPattern();

    public LabelDtoValidator()
    {
        RuleFor(l => l.Name).NotEmpty().WithMessage("name is required").MaximumLength(128)
            .Must(n => n is null || n.Trim() == n && !n.Contains(',')).WithMessage("name must not have leading or trailing spaces or commas");
        RuleFor(l => l.Color).Must(c => string.IsNullOrEmpty(c) || ColorPattern().IsMatch(c)).WithMessage("color must be #RRGGBB");
        RuleFor(l => l.Description).MaximumLength(1024);
        RuleFor(l => l.Scope).Must(s => s is null or LabelScopes.Global or LabelScopes.Project).WithMessage("scope must be g (global) or p (project)");
    }
}

/// <summary>Harbor's label id body of attach: <c>{"id": 1}</c>.</summary>
public sealed record LabelRef(long? Id);

/// <summary>
/// Harbor's labels: global ones (system admins manage them, everyone signed in sees them) and
/// project ones (project admins and maintainers manage them, members see them), and attaching
/// them to artifacts (developers and up). Deleting a label detaches it everywhere.
/// </summary>
public static class LabelEndpoints
{
    private static readonly IReadOnlyList<Paging.Field> Fields =
    [
        new("name"), new("creation_time", Filterable: false), new("update_time", Filterable: false),
    ];

    private const string ArtifactLabels = "/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/labels";

    public static RouteGroupBuilder MapLabelEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/labels", ListAsync).WithSummary("List labels according to the query strings.").Produces<IReadOnlyList<LabelDto>>();
        api.MapPost("/labels", CreateAsync).WithSummary("Post creates a label").Produces(201).Produces(409);
        api.MapGet("/labels/{label_id:long}", GetAsync).WithSummary("Get the label specified by ID.").Produces<LabelDto>();
        api.MapPut("/labels/{label_id:long}", UpdateAsync).WithSummary("Update the label properties.").Produces(200).Produces(409);
        api.MapDelete("/labels/{label_id:long}", DeleteAsync).WithSummary("Delete the label specified by ID.").Produces(200);
        api.MapPost(ArtifactLabels, AttachAsync).WithSummary("Add label to artifact").Produces(200).Produces(409);
        api.MapDelete(ArtifactLabels + "/{label_id:long}", DetachAsync).WithSummary("Remove label from artifact").Produces(200);
        return api;
    }

    private static async Task<IReadOnlyList<LabelDto>> ListAsync(HttpContext context, ILabelStore labels, string? scope, long? project_id, string? name)
    {
        context.SignedIn();
        var extra = new List<ListFilter>();
        if (!string.IsNullOrEmpty(name)) extra.Add(new ListFilter("name", FilterKind.Fuzzy, name));
        var query = Paging.Parse(context, Fields, extra);
        scope ??= LabelScopes.Global;
        long? projectId = null;
        switch (scope)
        {
            case LabelScopes.Global: break;
            case LabelScopes.Project:
                if (project_id is not { } id) throw Harbor.BadRequest("project_id is required for scope p");
                var access = await context.ProjectAsync(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                context.Require(access, Resources.Label, Verbs.List);
                projectId = access.Project.Id;
                break;
            default: throw Harbor.BadRequest("scope must be g (global) or p (project)");
        }
        var page = await labels.ListAsync(query, scope, projectId, context.RequestAborted);
        return Paging.Respond(context, query, page, LabelDto.From);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, LabelDto request, ILabelStore labels, TimeProvider clock, AuditLog audit)
    {
        var scope = request.Scope ?? LabelScopes.Global;
        long projectId = 0;
        var caller = context.SignedIn();
        if (scope == LabelScopes.Global) context.RequireSystem(Resources.Label, Verbs.Create);
        else
        {
            if (request.ProjectId is not { } id || id <= 0) throw Harbor.BadRequest("project_id is required for a project label");
            var access = await context.ProjectAsync(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            context.Require(access, Resources.Label, Verbs.Create);
            projectId = access.Project.Id;
        }
        var created = await labels.CreateAsync(request.Name!, request.Description ?? "", request.Color ?? "", scope, projectId, clock.GetUtcNow(), context.RequestAborted)
            ?? throw Harbor.Conflict($"label {request.Name} already exists");
        await audit.RecordAsync(caller.Username!, projectId == 0 ? null : projectId, created.Name, "label", "create");
        return context.Created($"{ManagementApi.Prefix}/labels/{created.Id}");
    }

    private static async Task<LabelDto> GetAsync(HttpContext context, long label_id, ILabelStore labels) =>
        LabelDto.From(await ReadableAsync(context, label_id, labels, Verbs.Read));

    private static async Task<IResult> UpdateAsync(HttpContext context, long label_id, LabelDto request, ILabelStore labels, TimeProvider clock, AuditLog audit)
    {
        var label = await ReadableAsync(context, label_id, labels, Verbs.Update);
        if (request.Scope is { } scope && scope != label.Scope) throw Harbor.BadRequest("a label's scope cannot be changed");
        if (request.ProjectId is { } p && p != label.ProjectId && !(p == 0 && label.Scope == LabelScopes.Global))
            throw Harbor.BadRequest("a label cannot move to another project");
        switch (await labels.UpdateAsync(label.Id, request.Name!, request.Description ?? label.Description, request.Color ?? label.Color, clock.GetUtcNow(), context.RequestAborted))
        {
            case LabelChange.NotFound: throw Harbor.NotFound($"label {label_id} not found");
            case LabelChange.Duplicate: throw Harbor.Conflict($"label {request.Name} already exists");
        }
        await audit.RecordAsync(context.Caller().Username!, label.ProjectId == 0 ? null : label.ProjectId, request.Name!, "label", "update");
        return Results.Ok();
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, long label_id, ILabelStore labels, AuditLog audit)
    {
        var label = await ReadableAsync(context, label_id, labels, Verbs.Delete);
        if (!await labels.DeleteAsync(label.Id, context.RequestAborted)) throw Harbor.NotFound($"label {label_id} not found");
        await audit.RecordAsync(context.Caller().Username!, label.ProjectId == 0 ? null : label.ProjectId, label.Name, "label", "delete");
        return Results.Ok();
    }

    /// <summary>
    /// The label, if the caller may <paramref name="verb"/> it: global labels are read by anyone signed
    /// in and changed by system admins; project labels follow the project's roles. A project label of a
    /// project the caller cannot see is not found.
    /// </summary>
    private static async Task<LabelRecord> ReadableAsync(HttpContext context, long id, ILabelStore labels, string verb)
    {
        context.SignedIn();
        var label = await labels.GetAsync(id, context.RequestAborted) ?? throw Harbor.NotFound($"label {id} not found");
        if (label.Scope == LabelScopes.Global)
        {
            if (verb != Verbs.Read) context.RequireSystem(Resources.Label, verb);
            return label;
        }
        ProjectAccess access;
        try
        {
            access = await context.ProjectAsync(label.ProjectId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (HarborException e) when (e.Status == 404)
        {
            throw Harbor.NotFound($"label {id} not found");
        }
        context.Require(access, Resources.Label, verb);
        return label;
    }

    private static async Task<IResult> AttachAsync(HttpContext context, string project_name, string repository_name, string reference, LabelRef request,
        ILabelStore labels, IGrainFactory grains, TimeProvider clock, AuditLog audit)
    {
        var (access, name, digest) = await ArtifactAsync(context, project_name, repository_name, reference, grains, Verbs.Create);
        if (request.Id is not { } id) throw Harbor.BadRequest("id is required");
        var label = await labels.GetAsync(id, context.RequestAborted) ?? throw Harbor.NotFound($"label {id} not found");
        if (label.Scope == LabelScopes.Project && label.ProjectId != access.Project.Id)
            throw Harbor.BadRequest($"label {label.Name} belongs to another project");
        if (!await labels.AttachAsync(name, digest, label.Id, clock.GetUtcNow(), context.RequestAborted))
            throw Harbor.Conflict($"{name}@{digest} already has label {label.Name}");
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"{name}@{digest}", "artifact", "label");
        return Results.Ok();
    }

    private static async Task<IResult> DetachAsync(HttpContext context, string project_name, string repository_name, string reference, long label_id,
        ILabelStore labels, IGrainFactory grains, AuditLog audit)
    {
        var (access, name, digest) = await ArtifactAsync(context, project_name, repository_name, reference, grains, Verbs.Delete);
        if (!await labels.DetachAsync(name, digest, label_id, context.RequestAborted))
            throw Harbor.NotFound($"label {label_id} is not attached to {name}@{digest}");
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, $"{name}@{digest}", "artifact", "unlabel");
        return Results.Ok();
    }

    private static async Task<(ProjectAccess Access, string Name, Digest Digest)> ArtifactAsync(HttpContext context, string project_name, string repository_name,
        string reference, IGrainFactory grains, string verb)
    {
        var access = await Repositories.ProjectAsync(context, project_name);
        context.Require(access, Resources.ArtifactLabel, verb);
        var name = Repositories.FullName(access, repository_name);
        var valid = Digest.LooksLikeDigest(reference) ? Digest.TryParse(reference, out _) : RepositoryName.IsValidTag(reference);
        if (!valid) throw Harbor.BadRequest($"invalid reference '{reference}': a digest or a tag");
        var manifest = await grains.GetGrain<IRepositoryGrain>(name).GetManifestAsync(reference, withContent: false)
            ?? throw Harbor.NotFound($"artifact {name}:{reference} not found");
        return (access, name, manifest.Digest);
    }
}
