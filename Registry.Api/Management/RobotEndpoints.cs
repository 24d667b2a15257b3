using System.Text.RegularExpressions;
using FluentValidation;
using Registry.Api.Auth;
using Registry.Grains.Metadata;
using static Registry.Api.Auth.Rbac;

namespace Registry.Api.Management;

public sealed record RobotAccessDto(string? Resource, string? Action, string? Effect);

public sealed record RobotPermissionDto(string? Kind, string? Namespace, IReadOnlyList<RobotAccessDto>? Access);

/// <summary>Harbor's RobotCreate.</summary>
public sealed record RobotCreate(string? Name, string? Description, int? Duration, string? Level, bool? Disable, IReadOnlyList<RobotPermissionDto>? Permissions, string? Secret);

/// <summary>
/// Harbor's Robot (the PUT body, and what GET returns; never the secret). <c>creator_type</c> is
/// "local" (a user) or "robot"; <c>creator_ref</c> is the creator's name here, where Harbor has its id.
/// </summary>
public sealed record RobotDto(long Id, string Name, string Description, string Level, int Duration, bool Editable, bool Disable, long ExpiresAt,
    IReadOnlyList<RobotPermissionDto> Permissions, string CreatorType, string CreatorRef, DateTimeOffset CreationTime, DateTimeOffset UpdateTime);

public sealed record RobotUpdate(long? Id, string? Name, string? Description, int? Duration, string? Level, bool? Disable, IReadOnlyList<RobotPermissionDto>? Permissions);

public sealed record RobotCreated(long Id, string Name, string Secret, DateTimeOffset CreationTime, long ExpiresAt);

public sealed record RobotSec(string? Secret);

public sealed partial class RobotCreateValidator : AbstractValidator<RobotCreate>
{
    [GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*$")]
    private static partial Regex NamePattern();

    public RobotCreateValidator()
    {
        RuleFor(r => r.Name).NotEmpty().WithMessage("name is required")
            .Must(n => n is null || (n.Length <= 255 && NamePattern().IsMatch(n))).WithMessage("name must be lower-case letters and digits separated by single '.', '_' or '-'");
        RuleFor(r => r.Level).Must(l => l is "system" or "project").WithMessage("level must be system or project");
        RuleFor(r => r.Duration).Must(d => d is null or -1 or > 0 and <= 36500).WithMessage("duration is a number of days (1-36500) or -1 for never");
        RuleFor(r => r.Permissions).NotEmpty().WithMessage("permissions are required");
        RuleForEach(r => r.Permissions).SetValidator(new RobotPermissionValidator());
        RuleFor(r => r.Description).MaximumLength(1024);
        RuleFor(r => r.Secret).Must(s => s is null || PasswordHasher.MeetsPolicy(s)).WithMessage("secret: " + PasswordHasher.PolicyMessage);
    }
}

public sealed class RobotUpdateValidator : AbstractValidator<RobotUpdate>
{
    public RobotUpdateValidator()
    {
        RuleFor(r => r.Duration).Must(d => d is null or -1 or > 0 and <= 36500).WithMessage("duration is a number of days (1-36500) or -1 for never");
        RuleForEach(r => r.Permissions).SetValidator(new RobotPermissionValidator());
        RuleFor(r => r.Description).MaximumLength(1024);
    }
}

public sealed class RobotPermissionValidator : AbstractValidator<RobotPermissionDto>
{
    public RobotPermissionValidator()
    {
        RuleFor(p => p.Kind).Must(k => k is "project" or "system").WithMessage("permission kind must be project or system");
        RuleFor(p => p.Namespace).NotEmpty().WithMessage("permission namespace is required");
        RuleFor(p => p.Access).NotEmpty().WithMessage("permission access is required");
        RuleForEach(p => p.Access).Must(a => !string.IsNullOrEmpty(a.Resource) && !string.IsNullOrEmpty(a.Action) && a.Effect is null or "allow" or "deny")
            .WithMessage("each access needs resource and action (effect allow or deny)");
    }
}

public sealed class RobotSecValidator : AbstractValidator<RobotSec>
{
    public RobotSecValidator() =>
        RuleFor(r => r.Secret).Must(s => s is null || PasswordHasher.MeetsPolicy(s)).WithMessage("secret: " + PasswordHasher.PolicyMessage);
}

/// <summary>
/// Robot accounts, system and project level. A robot's permissions can never exceed its creator's:
/// every access asked for must be something the creator may do in that namespace.
/// </summary>
public static class RobotEndpoints
{
    /// <summary>What a system-level robot may be given besides project permissions.</summary>
    private static readonly HashSet<Permission> SystemScope =
    [
        new("project", Verbs.Create), new("project", Verbs.List), new("user", Verbs.List), new("user", Verbs.Read),
        new("audit-log", Verbs.List), new("statistics", Verbs.Read), new("robot", Verbs.List), new("robot", Verbs.Read),
    ];

    private static readonly IReadOnlyList<Paging.Field> Fields =
        // Harbor's portal writes the keys as Level and ProjectID.
        [new("name"), new("level", Fuzzy: false, Sortable: false, Alias: "Level"), new("project_id", Fuzzy: false, Sortable: false, Alias: "ProjectID"), new("creation_time", Filterable: false)];

    public static RouteGroupBuilder MapRobotEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/robots", CreateAsync).WithSummary("Create a robot account").Produces<RobotCreated>(201);
        api.MapGet("/robots", ListAsync).WithSummary("Get robot account").Produces<IReadOnlyList<RobotDto>>();
        api.MapGet("/robots/{robot_id:long}", GetAsync).WithSummary("Get a robot account").Produces<RobotDto>();
        api.MapPut("/robots/{robot_id:long}", UpdateAsync).WithSummary("Update a robot account").Produces(200);
        api.MapMethods("/robots/{robot_id:long}", ["PATCH"], RefreshSecretAsync).WithSummary("Refresh the robot secret").Produces<RobotSec>();
        api.MapDelete("/robots/{robot_id:long}", DeleteAsync).WithSummary("Delete a robot account").Produces(200);
        return api;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, RobotCreate request, IIdentityStore store, SystemSettings settings, AuditLog audit, TimeProvider clock)
    {
        var caller = context.SignedIn();
        var current = await settings.GetAsync(context.RequestAborted);
        var permissions = await AuthorizePermissionsAsync(context, request.Level!, request.Permissions!);
        long? projectId = null;
        string fullName;
        if (request.Level == "project")
        {
            var access = await context.ProjectAsync(permissions[0].Namespace, isName: true);
            context.Require(access, Resources.Robot, Verbs.Create);
            projectId = access.Project.Id;
            fullName = $"{current.RobotNamePrefix}{access.Project.Name}+{request.Name}";
        }
        else
        {
            if (!AccessPolicy.CanOnSystem(caller, "robot", Verbs.Create)) throw caller.Denied("create system robot accounts");
            fullName = current.RobotNamePrefix + request.Name;
        }

        var duration = request.Duration is null or 0 ? current.RobotTokenDurationDays : request.Duration.Value;
        var now = clock.GetUtcNow();
        var secret = request.Secret ?? PasswordHasher.Generate(24);
        var robot = await store.CreateRobotAsync(new RobotRecord(0, fullName, request.Description ?? "", request.Level!, projectId,
            PasswordHasher.Hash(secret), duration, ExpiresAt(now, duration), request.Disable ?? false, permissions, caller.Username!, now, now,
            caller.IsRobot ? "robot" : "local"), context.RequestAborted)
            ?? throw Harbor.Conflict($"robot account {fullName} already exists");
        await audit.RecordAsync(caller.Username!, projectId, robot.Name, "robot", "create");
        context.Response.Headers.Location = $"{ManagementApi.Prefix}/robots/{robot.Id}";
        return Results.Json(new RobotCreated(robot.Id, robot.Name, secret, robot.CreatedAt, robot.ExpiresAt), statusCode: 201);
    }

    private static async Task<IReadOnlyList<RobotDto>> ListAsync(HttpContext context, IIdentityStore store)
    {
        var caller = context.SignedIn();
        var query = Paging.Parse(context, Fields);
        if (!AccessPolicy.CanOnSystem(caller, "robot", Verbs.List))
        {
            // Others list the robots of one project they may see robots of.
            var projectFilter = query.Filters.FirstOrDefault(f => f.Field == "project_id" && f.Kind == FilterKind.Exact)
                ?? throw Harbor.Forbidden("only system admins list every robot; give q=level=project,project_id=N");
            var access = await context.ProjectAsync(projectFilter.Value!);
            context.Require(access, Resources.Robot, Verbs.List);
            query = query with { Filters = [.. query.Filters.Where(f => f.Field != "project_id"), new ListFilter("project_id", FilterKind.Exact, access.Project.Id.ToString())] };
        }
        return Paging.Respond(context, query, await store.ListRobotsAsync(query, context.RequestAborted), ToDto);
    }

    private static async Task<RobotDto> GetAsync(HttpContext context, long robot_id, IIdentityStore store) =>
        ToDto(await AuthorizeRobotAsync(context, robot_id, store, Verbs.Read));

    private static async Task<IResult> UpdateAsync(HttpContext context, long robot_id, RobotUpdate request, IIdentityStore store, AuditLog audit, TimeProvider clock, UserAuthenticator users)
    {
        var robot = await AuthorizeRobotAsync(context, robot_id, store, Verbs.Update);
        if (request.Name is not null && request.Name != robot.Name) throw Harbor.BadRequest("a robot account cannot be renamed");
        if (request.Level is not null && request.Level != robot.Level) throw Harbor.BadRequest("the level of a robot account cannot change");
        var permissions = request.Permissions is null ? robot.Permissions : await AuthorizePermissionsAsync(context, robot.Level, request.Permissions);
        if (robot.Level == "project" && (await store.GetProjectByIdAsync(robot.ProjectId!.Value, context.RequestAborted))?.Name != permissions[0].Namespace)
            throw Harbor.BadRequest("a project robot's permissions stay in its project");
        var duration = request.Duration is null or 0 ? robot.Duration : request.Duration.Value;
        var expires = duration == robot.Duration ? robot.ExpiresAt : ExpiresAt(robot.CreatedAt, duration);
        await store.UpdateRobotAsync(robot with
        {
            Description = request.Description ?? robot.Description,
            Duration = duration,
            ExpiresAt = expires,
            Disabled = request.Disable ?? robot.Disabled,
            Permissions = permissions,
            UpdatedAt = clock.GetUtcNow(),
        }, context.RequestAborted);
        users.Forget(robot.Name);
        await audit.RecordAsync(context.Caller().Username!, robot.ProjectId, robot.Name, "robot", "update");
        return Results.Ok();
    }

    private static async Task<RobotSec> RefreshSecretAsync(HttpContext context, long robot_id, RobotSec request, IIdentityStore store, AuditLog audit, UserAuthenticator users)
    {
        var robot = await AuthorizeRobotAsync(context, robot_id, store, Verbs.Update);
        var secret = request.Secret ?? PasswordHasher.Generate(24);
        await store.SetRobotSecretAsync(robot.Id, PasswordHasher.Hash(secret), context.RequestAborted);
        users.Forget(robot.Name);
        await audit.RecordAsync(context.Caller().Username!, robot.ProjectId, robot.Name, "robot", "refresh_secret");
        return new RobotSec(secret);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, long robot_id, IIdentityStore store, AuditLog audit, UserAuthenticator users)
    {
        var robot = await AuthorizeRobotAsync(context, robot_id, store, Verbs.Delete);
        await store.DeleteRobotAsync(robot.Id, context.RequestAborted);
        users.Forget(robot.Name);
        await audit.RecordAsync(context.Caller().Username!, robot.ProjectId, robot.Name, "robot", "delete");
        return Results.Ok();
    }

    /// <summary>
    /// The robot, when the caller may act on it: system admins any; project admins (and whoever
    /// the role matrix allows) the robots of their project. Another project's robot is a 404, so
    /// ids reveal nothing.
    /// </summary>
    private static async Task<RobotRecord> AuthorizeRobotAsync(HttpContext context, long id, IIdentityStore store, string action)
    {
        var caller = context.SignedIn();
        var robot = await store.GetRobotAsync(id, context.RequestAborted) ?? throw Harbor.NotFound($"robot {id} not found");
        if (AccessPolicy.CanOnSystem(caller, "robot", action) || (caller.SysAdmin)) return robot;
        if (robot.ProjectId is { } projectId && await store.GetProjectByIdAsync(projectId, context.RequestAborted) is { } project)
        {
            var access = await context.RequestServices.GetRequiredService<AccessPolicy>().ProjectAsync(caller, project.Name);
            if (access is not null && access.Can(Resources.Robot, action)) return robot;
            if (access is not null && access.Can(Resources.Robot, Verbs.Read)) throw Harbor.Forbidden($"not allowed to {action} robot accounts of {project.Name}");
        }
        throw Harbor.NotFound($"robot {id} not found");
    }

    /// <summary>
    /// Checks and converts the permissions asked for a robot: each namespace must be a project the
    /// caller may see, and each access something the caller may do there (or at system level).
    /// </summary>
    private static async Task<IReadOnlyList<RobotPermission>> AuthorizePermissionsAsync(HttpContext context, string level, IReadOnlyList<RobotPermissionDto> requested)
    {
        var caller = context.Caller();
        var result = new List<RobotPermission>();
        if (level == "project" && (requested.Count != 1 || requested[0].Kind != "project" || requested[0].Namespace == "*"))
            throw Harbor.BadRequest("a project robot has exactly one permission of kind project, for its project");
        foreach (var permission in requested)
        {
            var access = permission.Access!.Select(a => new RobotAccess(a.Resource!, a.Action!, a.Effect ?? "allow")).ToList();
            if (permission.Kind == "system")
            {
                if (level != "system") throw Harbor.BadRequest("system permissions are for system robots");
                foreach (var a in access.Where(a => a.Effect == "allow"))
                {
                    if (!SystemScope.Contains(new Permission(a.Resource, a.Action))) throw Harbor.BadRequest($"unknown system permission {a.Resource}:{a.Action}");
                    if (!AccessPolicy.CanOnSystem(caller, a.Resource, a.Action)) throw Harbor.Forbidden($"you may not grant {a.Resource}:{a.Action}: a robot cannot exceed its creator");
                }
                result.Add(new RobotPermission("system", "/", access));
                continue;
            }
            var unknown = access.FirstOrDefault(a => !ProjectScope.Contains(new Permission(a.Resource, a.Action)));
            if (unknown is not null) throw Harbor.BadRequest($"unknown permission {unknown.Resource}:{unknown.Action}");
            if (permission.Namespace == "*")
            {
                if (!caller.SysAdmin) throw Harbor.Forbidden("only system admins grant permissions on every project");
                result.Add(new RobotPermission("project", "*", access));
                continue;
            }
            var project = await context.ProjectAsync(permission.Namespace!, isName: true); // a namespace is a project name, even all digits
            foreach (var a in access.Where(a => a.Effect == "allow"))
            {
                if (!project.Can(a.Resource, a.Action))
                    throw Harbor.Forbidden($"you may not grant {a.Resource}:{a.Action} in {project.Project.Name}: a robot cannot exceed its creator");
            }
            result.Add(new RobotPermission("project", project.Project.Name, access));
        }
        return result;
    }

    private static long ExpiresAt(DateTimeOffset from, int duration) => duration == -1 ? -1 : from.AddDays(duration).ToUnixTimeSeconds();

    private static RobotDto ToDto(RobotRecord r) => new(r.Id, r.Name, r.Description, r.Level, r.Duration, true, r.Disabled, r.ExpiresAt,
        [.. r.Permissions.Select(p => new RobotPermissionDto(p.Kind, p.Namespace, [.. p.Access.Select(a => new RobotAccessDto(a.Resource, a.Action, a.Effect))]))],
        r.CreatorType, r.Creator, r.CreatedAt, r.UpdatedAt);
}
