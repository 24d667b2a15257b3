using System.Globalization;
using System.Text.RegularExpressions;

namespace Registry.Portal.Api.Models;

// Shapes of the management API (/api/v2.0) used by the project pages; JSON is snake_case
// (RegistryApi.Json), so property names here are the API's names in PascalCase.

/// <summary>Harbor's <c>Project</c>.</summary>
public sealed record Project(
    long ProjectId, long OwnerId, string Name, DateTimeOffset CreationTime, DateTimeOffset UpdateTime, string? OwnerName,
    int? CurrentUserRoleId, long RepoCount, IReadOnlyDictionary<string, string>? Metadata)
{
    public bool IsPublic => Metadata is not null && Metadata.TryGetValue("public", out var value) && value == "true";
}

/// <summary>The body of <c>POST /projects</c>; <c>storage_limit</c> is left out (null) unless a system admin sets it.</summary>
public sealed record ProjectCreate(string ProjectName, IReadOnlyDictionary<string, string> Metadata, long? StorageLimit);

public sealed record ProjectQuotaUsage(long Storage);

public sealed record ProjectQuota(ProjectQuotaUsage Hard, ProjectQuotaUsage Used);

/// <summary>Harbor's <c>ProjectSummary</c>; member counts are zero when the caller may not list members.</summary>
public sealed record ProjectSummary(
    long RepoCount, int ProjectAdminCount, int MaintainerCount, int DeveloperCount, int GuestCount, int LimitedGuestCount, ProjectQuota? Quota);

/// <summary>Harbor's <c>Repository</c>: <c>name</c> is the full name, project included.</summary>
public sealed record ProjectRepository(
    long Id, long ProjectId, string Name, string? Description, long ArtifactCount, long PullCount, DateTimeOffset? CreationTime, DateTimeOffset? UpdateTime);

/// <summary>Harbor's <c>ProjectMemberEntity</c>.</summary>
public sealed record ProjectMember(long Id, long ProjectId, string EntityName, string? RoleName, int RoleId, long EntityId, string? EntityType);

public sealed record ProjectMemberUser(string Username);

public sealed record ProjectMemberCreate(int RoleId, ProjectMemberUser MemberUser);

public sealed record ProjectMemberRole(int RoleId);

public sealed record ProjectRobotAccess(string Resource, string Action, string? Effect = null);

public sealed record ProjectRobotPermission(string Kind, string Namespace, IReadOnlyList<ProjectRobotAccess> Access);

/// <summary>Harbor's <c>Robot</c> (never with its secret).</summary>
public sealed record ProjectRobot(
    long Id, string Name, string? Description, string Level, int Duration, bool Editable, bool Disable, long ExpiresAt,
    IReadOnlyList<ProjectRobotPermission>? Permissions, string? CreatorRef, DateTimeOffset CreationTime, DateTimeOffset UpdateTime)
{
    public bool IsExpired(DateTimeOffset now) => ExpiresAt != -1 && ExpiresAt <= now.ToUnixTimeSeconds();
}

/// <summary>The body of <c>POST /robots</c>.</summary>
public sealed record ProjectRobotCreate(string Name, string? Description, int Duration, string Level, bool Disable, IReadOnlyList<ProjectRobotPermission> Permissions);

/// <summary>The body of <c>PUT /robots/{id}</c>: the robot as it is, with what changes.</summary>
public sealed record ProjectRobotUpdate(long Id, string Name, string? Description, int Duration, string Level, bool Disable, IReadOnlyList<ProjectRobotPermission> Permissions);

/// <summary>The answer to <c>POST /robots</c>: the only time the secret is given.</summary>
public sealed record ProjectRobotCreated(long Id, string Name, string Secret, DateTimeOffset CreationTime, long ExpiresAt);

/// <summary>The body and answer of <c>PATCH /robots/{id}</c> (an empty body asks for a generated secret).</summary>
public sealed record ProjectRobotSecret(string? Secret);

/// <summary>Harbor's <c>AuditLog</c>.</summary>
/// <summary>An artifact in the project's recycle bin (<c>/projects/{id}/recyclebin</c>).</summary>
public sealed record RecycleBinEntry(long Id, long ProjectId, string RepositoryName, string Digest, string MediaType, string? ArtifactType, long Size,
    IReadOnlyList<string>? Tags, string DeletedBy, DateTimeOffset DeletionTime, DateTimeOffset ExpirationTime);

public sealed record ProjectLogEntry(long Id, string Username, string Resource, string ResourceType, string Operation, bool OperationResult, DateTimeOffset OpTime);

/// <summary>Harbor's project roles: ids as the API numbers them, names as people read them.</summary>
public static class ProjectRoles
{
    public const int ProjectAdmin = 1;
    public const int Developer = 2;
    public const int Guest = 3;
    public const int Maintainer = 4;
    public const int LimitedGuest = 5;

    /// <summary>In order of power, for selects.</summary>
    public static readonly IReadOnlyList<(int Id, string Name)> All =
    [
        (ProjectAdmin, "Project Admin"), (Maintainer, "Maintainer"), (Developer, "Developer"), (Guest, "Guest"), (LimitedGuest, "Limited Guest"),
    ];

    public static bool IsValid(int id) => All.Any(r => r.Id == id);

    public static string NameOf(int id) => All.FirstOrDefault(r => r.Id == id).Name ?? $"Role {id}";
}

/// <summary>One permission a project robot may be given, as a checkbox.</summary>
public sealed record ProjectRobotPermissionChoice(string Resource, string Action, string Label)
{
    public string Key => $"{Resource}:{Action}";
}

public static class ProjectRobotPermissionChoices
{
    /// <summary>What the robots form offers: pairs of the API's project scope (Rbac.ProjectScope).</summary>
    public static readonly IReadOnlyList<ProjectRobotPermissionChoice> All =
    [
        new("repository", "pull", "Pull"),
        new("repository", "push", "Push"),
        new("artifact", "delete", "Delete artifact"),
        new("artifact", "read", "Read artifact"),
        new("artifact", "list", "List artifacts"),
        new("tag", "list", "List tags"),
        new("tag", "create", "Create tag"),
        new("tag", "delete", "Delete tag"),
        new("repository", "list", "List repositories"),
        new("repository", "read", "Read repository"),
        new("repository", "update", "Update repository"),
        new("repository", "delete", "Delete repository"),
        new("accessory", "list", "List accessories"),
        new("scan", "create", "Scan artifact"),
    ];

    /// <summary>Checked by default on the form.</summary>
    public static readonly IReadOnlySet<string> Defaults = new HashSet<string> { "repository:pull", "repository:push" };

    public static string Describe(string resource, string action) =>
        All.FirstOrDefault(c => c.Resource == resource && c.Action == action)?.Label ?? $"{resource}:{action}";
}

/// <summary>Checks and formats shared by the project pages.</summary>
public static partial class ProjectNames
{
    [GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*$")]
    private static partial Regex NamePattern();

    /// <summary>What the API accepts as a project name (ProjectReqValidator); anything else cannot exist.</summary>
    public static bool IsValid(string? name) => name is { Length: >= 1 and <= 255 } && NamePattern().IsMatch(name);

    /// <summary>All digits: the API would read it as an id in <c>project_name_or_id</c>.</summary>
    public static bool LooksLikeId(string name) => name.All(char.IsAsciiDigit);
}

public static class ProjectFormats
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    /// <summary>1536 → "1.5 KiB"; -1 → "unlimited".</summary>
    public static string Bytes(long bytes)
    {
        if (bytes < 0) return "unlimited";
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {Units[unit]}");
    }

    /// <summary>UTC, to the minute (or second): the same on every page and for every reader.</summary>
    public static string Time(DateTimeOffset? time, bool seconds = false) =>
        time is { } t ? t.UtcDateTime.ToString(seconds ? "yyyy-MM-dd HH:mm:ss 'UTC'" : "yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "—";

    /// <summary>The machine-readable value of a <c>&lt;time datetime&gt;</c>.</summary>
    public static string IsoTime(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : "";
}

/// <summary>The part of <c>/systeminfo</c> the projects page needs: whether only admins may create projects.</summary>
public sealed record ProjectCreationInfo(string? ProjectCreationRestriction)
{
    public bool AdminOnly => ProjectCreationRestriction == "adminonly";
}
