using FluentValidation;
using Registry.Api.Auth;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using static Registry.Api.Auth.Rbac;

namespace Registry.Api.Management;

/// <summary>Harbor's ResourceList for quotas: only <c>storage</c> (bytes; -1 unlimited in <c>hard</c>).</summary>
public sealed record ResourceList(long Storage);

/// <summary>Harbor's QuotaRefObject for a project's quota.</summary>
public sealed record QuotaRef(long Id, string Name, string OwnerName);

/// <summary>Harbor's Quota: one per project, its id being the project's.</summary>
public sealed record QuotaDto(long Id, QuotaRef Ref, ResourceList Hard, ResourceList Used, DateTimeOffset CreationTime, DateTimeOffset UpdateTime);

/// <summary>Harbor's QuotaUpdateReq: the new hard limits.</summary>
public sealed record QuotaUpdateReq(ResourceList? Hard);

public sealed class QuotaUpdateReqValidator : AbstractValidator<QuotaUpdateReq>
{
    public QuotaUpdateReqValidator()
    {
        RuleFor(r => r.Hard).NotNull().WithMessage("hard is required, e.g. {\"hard\":{\"storage\":1073741824}}");
        RuleFor(r => r.Hard!.Storage).Must(s => s == -1 || s >= 0).When(r => r.Hard is not null)
            .WithMessage("hard.storage must be -1 (unlimited) or a number of bytes");
    }
}

/// <summary>
/// Harbor's <c>/quotas</c>: every project's storage limit and usage. Usage is kept exact by the
/// repository stores in the push and delete transactions; a limit set here is enforced from the
/// next push on, on every node (the stores read it inside the push's transaction).
/// </summary>
public static class QuotaEndpoints
{
    private static readonly IReadOnlyList<Paging.Field> Fields =
        [new("hard.storage", Filterable: false), new("used.storage", Filterable: false)];

    public static RouteGroupBuilder MapQuotaEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/quotas", ListAsync).WithSummary("List quotas").Produces<IReadOnlyList<QuotaDto>>();
        api.MapGet("/quotas/{id}", GetAsync).WithSummary("Get the specified quota").Produces<QuotaDto>().Produces(404);
        api.MapPut("/quotas/{id}", UpdateAsync).WithSummary("Update the specified quota").Produces(200).Produces(404);
        return api;
    }

    private static async Task<IReadOnlyList<QuotaDto>> ListAsync(HttpContext context, IGovernanceStore store, string? reference, string? reference_id)
    {
        context.RequireSystem(Resources.Quota, Verbs.List);
        var query = Paging.Parse(context, Fields);
        if (reference is not null && reference != "project") throw Harbor.BadRequest("reference must be \"project\"");
        long? projectId = null;
        if (reference_id is not null)
        {
            if (!long.TryParse(reference_id, out var id)) throw Harbor.BadRequest("reference_id must be a project id");
            projectId = id;
        }
        var sort = query.Sort switch
        {
            "hard.storage" => QuotaSort.Hard,
            "used.storage" => QuotaSort.Used,
            _ => QuotaSort.ProjectId,
        };
        var page = await store.ListQuotasAsync(projectId, sort, query.Descending, query.Offset, query.Limit, context.RequestAborted);
        return Paging.Respond(context, query, page, ToDto);
    }

    private static async Task<QuotaDto> GetAsync(HttpContext context, long id, IGovernanceStore store)
    {
        var caller = context.Caller();
        if (!AccessPolicy.CanOnSystem(caller, Resources.Quota, Verbs.Read))
        {
            // A project member may read their project's quota; other ids are not found.
            var access = await context.ProjectAsync(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            context.Require(access, Resources.Quota, Verbs.Read);
        }
        return ToDto(await store.GetQuotaAsync(id, context.RequestAborted) ?? throw Harbor.NotFound($"quota {id} not found"));
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, long id, QuotaUpdateReq request, IGovernanceStore store, IIdentityStore identity,
        AuditLog audit, IGrainFactory grains)
    {
        var caller = context.RequireSystem(Resources.Quota, Verbs.Update);
        var quota = await store.GetQuotaAsync(id, context.RequestAborted) ?? throw Harbor.NotFound($"quota {id} not found");
        await identity.UpdateProjectAsync(id, null, request.Hard!.Storage, context.RequestAborted);
        await grains.GetGrain<IProjectGrain>(quota.ProjectName).RefreshAsync();
        await audit.RecordAsync(caller.Username ?? "system", id, quota.ProjectName, "quota", "update");
        return Results.Ok();
    }

    internal static QuotaDto ToDto(QuotaRecord q) =>
        new(q.ProjectId, new QuotaRef(q.ProjectId, q.ProjectName, q.OwnerName), new ResourceList(q.Limit), new ResourceList(q.Used), q.CreatedAt, q.UpdatedAt);
}
