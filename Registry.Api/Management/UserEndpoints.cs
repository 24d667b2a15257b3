using System.Security.Cryptography;
using FluentValidation;
using Registry.Api.Auth;
using Registry.Api.Identity.Ldap;
using Registry.Grains.Metadata;

namespace Registry.Api.Management;

public sealed record UserCreationReq(string? Username, string? Email, string? Realname, string? Password, string? Comment);

public sealed record UserProfile(string? Email, string? Realname, string? Comment);

public sealed record PasswordReq(string? OldPassword, string? NewPassword);

/// <summary>Harbor's UserSysAdminFlag; the flag is required (an empty body must not revoke).</summary>
public sealed record UserSysAdminFlag(bool? SysadminFlag);

/// <summary>Harbor's UserResp: never a password, hash or salt.</summary>
public sealed record UserResp(long UserId, string Username, string Email, string Realname, string Comment, bool SysadminFlag, bool AdminRoleInAuth,
    DateTimeOffset CreationTime, DateTimeOffset UpdateTime);

public sealed record UserSearchRespItem(long UserId, string Username);

public sealed record AccessEntry(string Resource, string Action);

public sealed class UserCreationReqValidator : AbstractValidator<UserCreationReq>
{
    public UserCreationReqValidator()
    {
        RuleFor(u => u.Username).NotEmpty().WithMessage("username is required")
            .MaximumLength(255).WithMessage("username is at most 255 characters")
            .Must(UserEndpoints.IsValidUsername!).When(u => !string.IsNullOrEmpty(u.Username)).WithMessage("username may not contain , \" ~ # % $ : / or spaces");
        RuleFor(u => u.Password).Must(PasswordHasher.MeetsPolicy).WithMessage(PasswordHasher.PolicyMessage);
        RuleFor(u => u.Email).EmailAddress().MaximumLength(255).When(u => !string.IsNullOrEmpty(u.Email)).WithMessage("email is not a valid address");
        RuleFor(u => u.Realname).MaximumLength(255);
        RuleFor(u => u.Comment).MaximumLength(1024);
    }
}

public sealed class UserProfileValidator : AbstractValidator<UserProfile>
{
    public UserProfileValidator()
    {
        RuleFor(u => u.Email).EmailAddress().MaximumLength(255).When(u => !string.IsNullOrEmpty(u.Email)).WithMessage("email is not a valid address");
        RuleFor(u => u.Realname).MaximumLength(255);
        RuleFor(u => u.Comment).MaximumLength(1024);
    }
}

public sealed class UserSysAdminFlagValidator : AbstractValidator<UserSysAdminFlag>
{
    public UserSysAdminFlagValidator() => RuleFor(f => f.SysadminFlag).NotNull().WithMessage("sysadmin_flag is required (true or false)");
}

public sealed class PasswordReqValidator : AbstractValidator<PasswordReq>
{
    public PasswordReqValidator() => RuleFor(p => p.NewPassword).Must(PasswordHasher.MeetsPolicy).WithMessage(PasswordHasher.PolicyMessage);
}

public static class UserEndpoints
{
    private static readonly IReadOnlyList<Paging.Field> Fields =
        [new("username"), new("email"), new("creation_time", Filterable: false), new("update_time", Filterable: false)];

    public static bool IsValidUsername(string name) => name.Trim() == name && !name.Any(c => c is ',' or '"' or '~' or '#' or '%' or '$' or ':' or '/' || char.IsWhiteSpace(c) || char.IsControl(c));

    public static RouteGroupBuilder MapUserEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/users", CreateAsync).WithSummary("Create a local user.").Produces(201).Produces(409);
        api.MapGet("/users", ListAsync).WithSummary("List users").Produces<IReadOnlyList<UserResp>>();
        api.MapGet("/users/search", SearchAsync).WithSummary("Search users by username").Produces<IReadOnlyList<UserSearchRespItem>>();
        api.MapGet("/users/current", CurrentAsync).WithSummary("Get current user info.").Produces<UserResp>();
        api.MapGet("/users/current/permissions", PermissionsAsync).WithSummary("Get current user permissions.").Produces<IReadOnlyList<AccessEntry>>();
        api.MapGet("/users/{user_id:long}", GetAsync).WithSummary("Get a user's profile.").Produces<UserResp>();
        api.MapPut("/users/{user_id:long}", UpdateAsync).WithSummary("Update user's profile.").Produces(200);
        api.MapPut("/users/{user_id:long}/password", PasswordAsync).WithSummary("Change the password on a user that already exists.").Produces(200);
        api.MapPut("/users/{user_id:long}/sysadmin", SysAdminAsync).WithSummary("Update a registered user to change to be an administrator of Harbor.").Produces(200);
        api.MapDelete("/users/{user_id:long}", DeleteAsync).WithSummary("Mark a registered user as be removed.").Produces(200);
        return api;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, UserCreationReq request, IIdentityStore store, SystemSettings settings, AuditLog audit)
    {
        var caller = context.Caller();
        var current = await settings.GetAsync(context.RequestAborted);
        if (current.LdapAuth) throw Harbor.Forbidden("users come from LDAP in ldap_auth mode; they are created at their first login");
        var admin = AccessPolicy.CanOnSystem(caller, "user", Rbac.Verbs.Create);
        if (!admin && !(caller.IsAnonymous && current.SelfRegistration))
            throw caller.IsAnonymous ? Harbor.Forbidden("self-registration is disabled") : Harbor.Forbidden("only system admins create users");
        if (request.Username!.StartsWith(current.RobotNamePrefix, StringComparison.Ordinal)) throw Harbor.BadRequest($"usernames may not start with '{current.RobotNamePrefix}'");
        var user = await store.CreateUserAsync(new NewUser(request.Username, PasswordHasher.Hash(request.Password!), false,
            request.Email ?? "", request.Realname ?? "", request.Comment ?? ""), context.RequestAborted)
            ?? throw Harbor.Conflict("username or email already exists");
        await audit.RecordAsync(caller.Username ?? user.Username, null, user.Username, "user", "create");
        return context.Created($"{ManagementApi.Prefix}/users/{user.Id}");
    }

    private static async Task<IReadOnlyList<UserResp>> ListAsync(HttpContext context, IIdentityStore store, string? username, string? email)
    {
        context.RequireSystem("user", Rbac.Verbs.List);
        var extra = new List<ListFilter>();
        if (username is not null) extra.Add(new ListFilter("username", FilterKind.Fuzzy, username));
        if (email is not null) extra.Add(new ListFilter("email", FilterKind.Fuzzy, email));
        var query = Paging.Parse(context, Fields, extra);
        return Paging.Respond(context, query, await store.ListUsersAsync(query, context.RequestAborted), ToResp);
    }

    /// <summary>Any signed-in user may look up names (to add members); only ids and names are returned.</summary>
    private static async Task<IReadOnlyList<UserSearchRespItem>> SearchAsync(HttpContext context, IIdentityStore store, string? username)
    {
        context.SignedIn();
        if (string.IsNullOrWhiteSpace(username)) throw Harbor.BadRequest("username is required");
        var query = Paging.Parse(context, [], [new ListFilter("username", FilterKind.Fuzzy, username)]);
        return Paging.Respond(context, query, await store.ListUsersAsync(query, context.RequestAborted), u => new UserSearchRespItem(u.Id, u.Username));
    }

    private static async Task<UserResp> CurrentAsync(HttpContext context, IIdentityStore store)
    {
        var caller = context.SignedIn();
        if (caller.UserId is not { } id) throw Harbor.NotFound("a robot account has no user profile");
        return ToResp(await store.GetUserByIdAsync(id, context.RequestAborted) ?? throw Harbor.Unauthorized());
    }

    /// <summary>
    /// <c>scope=/project/{id or name}</c>: the caller's permissions in that project; no scope or
    /// <c>/</c>: system-level permissions. <c>relative=true</c> gives bare resource names.
    /// </summary>
    private static async Task<IReadOnlyList<AccessEntry>> PermissionsAsync(HttpContext context, string? scope, bool? relative, SystemSettings settings)
    {
        var caller = context.SignedIn();
        scope = string.IsNullOrEmpty(scope) ? "/" : scope.TrimEnd('/');
        if (scope is "" or "/")
        {
            // Any user may create projects unless project_creation_restriction is adminonly (as CreateAsync of projects decides).
            var usersCreateProjects = !caller.IsRobot && !(await settings.GetAsync(context.RequestAborted)).OnlyAdminsCreateProjects;
            string[] system = ["project", "user", "audit-log", "robot", "configuration", "ldap-user", "statistics"];
            return [.. system.SelectMany(r => new[] { Rbac.Verbs.Create, Rbac.Verbs.Read, Rbac.Verbs.Update, Rbac.Verbs.Delete, Rbac.Verbs.List }
                    .Where(a => AccessPolicy.CanOnSystem(caller, r, a) || (r == "project" && a == Rbac.Verbs.Create && usersCreateProjects))
                    .Select(a => new AccessEntry(relative == true ? r : $"/{r}", a)))];
        }
        if (!scope.StartsWith("/project/", StringComparison.Ordinal)) throw Harbor.BadRequest("scope must be / or /project/{id}");
        var project = scope["/project/".Length..];
        var access = await context.ProjectAsync(project);
        return [.. access.Permissions.OrderBy(p => p.Resource).ThenBy(p => p.Action)
            .Select(p => new AccessEntry(relative == true ? p.Resource : $"/project/{access.Project.Id}/{p.Resource}", p.Action))];
    }

    private static async Task<UserResp> GetAsync(HttpContext context, long user_id, IIdentityStore store)
    {
        SelfOrAdmin(context, user_id, Rbac.Verbs.Read);
        return ToResp(await store.GetUserByIdAsync(user_id, context.RequestAborted) ?? throw Harbor.NotFound($"user {user_id} not found"));
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, long user_id, UserProfile request, IIdentityStore store, AuditLog audit, UserAuthenticator users)
    {
        SelfOrAdmin(context, user_id, Rbac.Verbs.Update);
        var user = await store.GetUserByIdAsync(user_id, context.RequestAborted) ?? throw Harbor.NotFound($"user {user_id} not found");
        if (!await store.UpdateUserProfileAsync(user_id, request.Email ?? user.Email, request.Realname ?? user.Realname, request.Comment ?? user.Comment, context.RequestAborted))
            throw Harbor.Conflict("email already exists");
        users.Forget(user.Username);
        await audit.RecordAsync(context.Caller().Username!, null, user.Username, "user", "update");
        return Results.Ok();
    }

    /// <summary>Users change their own password with the old one; admins reset anyone else's without it.</summary>
    private static async Task<IResult> PasswordAsync(HttpContext context, long user_id, PasswordReq request, IIdentityStore store, AuditLog audit, UserAuthenticator users)
    {
        var caller = SelfOrAdmin(context, user_id, Rbac.Verbs.Update);
        var user = await store.GetUserByIdAsync(user_id, context.RequestAborted) ?? throw Harbor.NotFound($"user {user_id} not found");
        if (user.Source != "db") throw Harbor.Forbidden("the password of a directory user is changed in the directory");
        var self = caller.UserId == user_id;
        if (self || !caller.SysAdmin)
        {
            if (string.IsNullOrEmpty(request.OldPassword)) throw Harbor.BadRequest("old_password is required");
            if (!PasswordHasher.Verify(request.OldPassword, user.PasswordHash)) throw Harbor.Forbidden("old_password is wrong");
        }
        if (PasswordHasher.Verify(request.NewPassword!, user.PasswordHash)) throw Harbor.BadRequest("the new password must differ from the old one");
        await store.SetPasswordAsync(user_id, PasswordHasher.Hash(request.NewPassword!), context.RequestAborted);
        users.Forget(user.Username);
        await audit.RecordAsync(caller.Username!, null, user.Username, "user", "change_password");
        return Results.Ok();
    }

    private static async Task<IResult> SysAdminAsync(HttpContext context, long user_id, UserSysAdminFlag request, IIdentityStore store, AuditLog audit, UserAuthenticator users)
    {
        var caller = context.RequireSystem("user", Rbac.Verbs.Update);
        if (!caller.SysAdmin) throw Harbor.Forbidden("only system admins grant system admin");
        if (user_id == caller.UserId || user_id == 1) throw Harbor.Forbidden("the admin flag of this account cannot be changed");
        var user = await store.GetUserByIdAsync(user_id, context.RequestAborted) ?? throw Harbor.NotFound($"user {user_id} not found");
        var flag = request.SysadminFlag!.Value;
        await store.SetSysAdminAsync(user_id, flag, context.RequestAborted);
        users.Forget(user.Username);
        await audit.RecordAsync(caller.Username!, null, user.Username, "user", flag ? "grant_sysadmin" : "revoke_sysadmin");
        return Results.Ok();
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, long user_id, IIdentityStore store, AuditLog audit, IGrainFactory grains, UserAuthenticator users)
    {
        var caller = context.RequireSystem("user", Rbac.Verbs.Delete);
        if (user_id == caller.UserId || user_id == 1) throw Harbor.Forbidden("this account cannot be deleted");
        var user = await store.GetUserByIdAsync(user_id, context.RequestAborted) ?? throw Harbor.NotFound($"user {user_id} not found");
        var projects = await store.GetRolesAsync(user_id, context.RequestAborted);
        await store.DeleteUserAsync(user_id, context.RequestAborted);
        users.Forget(user.Username);
        foreach (var projectId in projects.Keys)
        {
            if (await store.GetProjectByIdAsync(projectId, context.RequestAborted) is { } project)
                await grains.GetGrain<Registry.Grains.Abstractions.IProjectGrain>(project.Name).RefreshAsync();
        }
        await audit.RecordAsync(caller.Username!, null, user.Username, "user", "delete");
        return Results.Ok();
    }

    /// <summary>
    /// The caller, when it is the user itself or may do <paramref name="action"/> on users at system
    /// level: reading another user's profile needs <c>user:read</c>, changing it or its password
    /// <c>user:update</c>.
    /// </summary>
    private static Caller SelfOrAdmin(HttpContext context, long userId, string action)
    {
        var caller = context.SignedIn();
        if (caller.UserId == userId || AccessPolicy.CanOnSystem(caller, "user", action)) return caller;
        throw Harbor.Forbidden(action == Rbac.Verbs.Read ? "not allowed to see another user" : "not allowed to change another user");
    }

    internal static UserResp ToResp(UserRecord u) =>
        new(u.Id, u.Username, u.Email, u.Realname, u.Comment, u.SysAdmin, false, u.CreatedAt, u.UpdatedAt);
}
