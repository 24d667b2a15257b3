using FluentValidation;
using Registry.Api.Auth;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using static Registry.Api.Auth.Rbac;

namespace Registry.Api.Management;

public sealed record UserEntity(long? UserId, string? Username);

public sealed record UserGroup(long? Id, string? GroupName, int? GroupType);

/// <summary>Harbor's ProjectMember: a role and a user, by id or name (groups are not supported).</summary>
public sealed record ProjectMember(int RoleId, UserEntity? MemberUser, UserGroup? MemberGroup);

public sealed record RoleRequest(int RoleId);

public sealed record ProjectMemberEntity(long Id, long ProjectId, string EntityName, string RoleName, int RoleId, long EntityId, string EntityType);

public sealed class ProjectMemberValidator : AbstractValidator<ProjectMember>
{
    public ProjectMemberValidator()
    {
        RuleFor(m => m.RoleId).Must(ProjectRoles.IsValid).WithMessage("role_id must be 1 (Project Admin), 2 (Developer), 3 (Guest), 4 (Maintainer) or 5 (Limited Guest)");
        RuleFor(m => m.MemberGroup).Null().WithMessage("group members are not supported; add users");
        RuleFor(m => m.MemberUser).NotNull().WithMessage("member_user is required")
            .Must(u => u is null || u.UserId is > 0 || !string.IsNullOrWhiteSpace(u.Username)).WithMessage("member_user needs user_id or username");
    }
}

public sealed class RoleRequestValidator : AbstractValidator<RoleRequest>
{
    public RoleRequestValidator() =>
        RuleFor(r => r.RoleId).Must(ProjectRoles.IsValid).WithMessage("role_id must be 1 (Project Admin), 2 (Developer), 3 (Guest), 4 (Maintainer) or 5 (Limited Guest)");
}

public static class MemberEndpoints
{
    private static readonly IReadOnlyList<Paging.Field> Fields = [new("entityname"), new("role_id", Fuzzy: false, Filterable: false)];

    public static RouteGroupBuilder MapMemberEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/projects/{project_name_or_id}/members", ListAsync).WithSummary("Get all project member information").Produces<IReadOnlyList<ProjectMemberEntity>>();
        api.MapPost("/projects/{project_name_or_id}/members", AddAsync).WithSummary("Create project member").Produces(201).Produces(409);
        api.MapGet("/projects/{project_name_or_id}/members/{mid:long}", GetAsync).WithSummary("Get the project member information").Produces<ProjectMemberEntity>();
        api.MapPut("/projects/{project_name_or_id}/members/{mid:long}", UpdateAsync).WithSummary("Update project member").Produces(200);
        api.MapDelete("/projects/{project_name_or_id}/members/{mid:long}", RemoveAsync).WithSummary("Delete project member").Produces(200);
        return api;
    }

    private static async Task<IReadOnlyList<ProjectMemberEntity>> ListAsync(HttpContext context, string project_name_or_id, string? entityname, IIdentityStore store)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Member, Verbs.List);
        var query = Paging.Parse(context, Fields, entityname is null ? null : [new ListFilter("entityname", FilterKind.Fuzzy, entityname)]);
        return Paging.Respond(context, query, await store.ListMembersAsync(access.Project.Id, query, context.RequestAborted), ToEntity);
    }

    private static async Task<IResult> AddAsync(HttpContext context, string project_name_or_id, ProjectMember request, IIdentityStore store,
        SystemSettings settings, Identity.Ldap.ILdapDirectory ldap, UserAuthenticator users, AuditLog audit, IGrainFactory grains)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Member, Verbs.Create);
        var user = request.MemberUser!.UserId is > 0
            ? await store.GetUserByIdAsync(request.MemberUser.UserId.Value, context.RequestAborted)
            : await store.GetUserAsync(request.MemberUser.Username!, context.RequestAborted)
              ?? await OnboardFromLdapAsync(request.MemberUser.Username!, settings, ldap, users, context.RequestAborted);
        if (user is null) throw Harbor.NotFound($"user {request.MemberUser.UserId?.ToString() ?? request.MemberUser.Username} not found");
        var member = await store.AddMemberAsync(access.Project.Id, user.Id, request.RoleId, context.RequestAborted)
            ?? throw Harbor.Conflict($"{user.Username} is already a member of {access.Project.Name}");
        await grains.GetGrain<IProjectGrain>(access.Project.Name).RefreshAsync();
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, user.Username, "member", "create");
        return context.Created($"{ManagementApi.Prefix}/projects/{access.Project.Id}/members/{member.Id}");
    }

    /// <summary>In ldap_auth mode a directory user can be added before their first login, as Harbor does.</summary>
    private static async Task<UserRecord?> OnboardFromLdapAsync(string username, SystemSettings settings, Identity.Ldap.ILdapDirectory ldap, UserAuthenticator users, CancellationToken cancellationToken)
    {
        var current = await settings.GetAsync(cancellationToken);
        if (!current.LdapAuth) return null;
        var found = (await ldap.SearchAsync(current.Ldap, username, cancellationToken)).FirstOrDefault(u => u.Username == username);
        if (found is null) return null;
        return await users.OnboardAsync(found, cancellationToken);
    }

    private static async Task<ProjectMemberEntity> GetAsync(HttpContext context, string project_name_or_id, long mid, IIdentityStore store)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Member, Verbs.Read);
        var member = await store.GetMemberAsync(access.Project.Id, mid, context.RequestAborted) ?? throw Harbor.NotFound($"member {mid} not found in {access.Project.Name}");
        return ToEntity(member);
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, string project_name_or_id, long mid, RoleRequest request, IIdentityStore store, AuditLog audit, IGrainFactory grains)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Member, Verbs.Update);
        var member = await store.GetMemberAsync(access.Project.Id, mid, context.RequestAborted) ?? throw Harbor.NotFound($"member {mid} not found in {access.Project.Name}");
        if (member.UserId == context.Caller().UserId && !context.Caller().SysAdmin) throw Harbor.Forbidden("you cannot change your own role");
        await store.UpdateMemberRoleAsync(access.Project.Id, mid, request.RoleId, context.RequestAborted);
        await grains.GetGrain<IProjectGrain>(access.Project.Name).RefreshAsync();
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, member.Username, "member", "update");
        return Results.Ok();
    }

    private static async Task<IResult> RemoveAsync(HttpContext context, string project_name_or_id, long mid, IIdentityStore store, AuditLog audit, IGrainFactory grains)
    {
        var access = await context.ProjectAsync(project_name_or_id);
        context.Require(access, Resources.Member, Verbs.Delete);
        var member = await store.GetMemberAsync(access.Project.Id, mid, context.RequestAborted) ?? throw Harbor.NotFound($"member {mid} not found in {access.Project.Name}");
        if (member.UserId == context.Caller().UserId && !context.Caller().SysAdmin) throw Harbor.Forbidden("you cannot remove yourself");
        await store.RemoveMemberAsync(access.Project.Id, mid, context.RequestAborted);
        await grains.GetGrain<IProjectGrain>(access.Project.Name).RefreshAsync();
        await audit.RecordAsync(context.Caller().Username!, access.Project.Id, member.Username, "member", "delete");
        return Results.Ok();
    }

    private static ProjectMemberEntity ToEntity(MemberRecord m) =>
        new(m.Id, m.ProjectId, m.Username, ProjectRoles.NameOf(m.RoleId), m.RoleId, m.UserId, "u");
}
