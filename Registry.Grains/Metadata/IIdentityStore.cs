using System.Collections.Immutable;
using Registry.Grains.Abstractions;

namespace Registry.Grains.Metadata;

/// <summary>Harbor's project roles, by the ids its API uses.</summary>
public static class ProjectRoles
{
    public const int ProjectAdmin = 1;
    public const int Developer = 2;
    public const int Guest = 3;
    public const int Maintainer = 4;
    public const int LimitedGuest = 5;

    public static bool IsValid(int role) => role is >= 1 and <= 5;

    public static string NameOf(int role) => role switch
    {
        ProjectAdmin => "projectAdmin",
        Developer => "developer",
        Guest => "guest",
        Maintainer => "maintainer",
        LimitedGuest => "limitedGuest",
        _ => "unknown",
    };
}

/// <summary>One filter of a list query, on a field the store knows for that list.</summary>
/// <param name="Kind">Exact: equals. Fuzzy: contains, case-insensitive. Range: <c>From</c>..<c>To</c> inclusive (either may be null). In: any of <c>Values</c>. All: every one of <c>Values</c> (labels).</param>
public sealed record ListFilter(string Field, FilterKind Kind, string? Value = null, string? From = null, string? To = null, IReadOnlyList<string>? Values = null);

public enum FilterKind { Exact, Fuzzy, Range, In, All }

/// <summary>
/// Offset paging with filters and a sort on whitelisted fields (the API validates the names
/// first; a store given an unknown field throws <see cref="ArgumentException"/>).
/// </summary>
public sealed record ListQuery(int Offset, int Limit, IReadOnlyList<ListFilter> Filters, string? Sort = null, bool Descending = false)
{
    public static ListQuery All { get; } = new(0, int.MaxValue, []);
}

/// <summary>One page and the total count of rows matching the filters.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long Total);

public sealed record ProjectRecord(
    long Id,
    string Name,
    bool Public,
    long OwnerId,
    string OwnerName,
    /// <summary>Bytes; -1 is unlimited.</summary>
    long StorageLimit,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record UserRecord(
    long Id,
    string Username,
    string PasswordHash,
    bool SysAdmin,
    string Email,
    string Realname,
    string Comment,
    /// <summary>"db" for local users, "ldap" for users onboarded from the directory.</summary>
    string Source,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record NewUser(string Username, string PasswordHash, bool SysAdmin, string Email, string Realname, string Comment, string Source = "db");

public sealed record MemberRecord(long Id, long ProjectId, long UserId, string Username, int RoleId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>One permission of a robot: what it may do in a namespace (a project name, or "*" for all projects at system level).</summary>
public sealed record RobotPermission(string Kind, string Namespace, IReadOnlyList<RobotAccess> Access);

public sealed record RobotAccess(string Resource, string Action, string Effect = "allow");

public sealed record RobotRecord(
    long Id,
    /// <summary>The full name as used to log in: <c>robot$name</c> or <c>robot$project+name</c>.</summary>
    string Name,
    string Description,
    /// <summary>"system" or "project".</summary>
    string Level,
    /// <summary>The project of a project-level robot.</summary>
    long? ProjectId,
    string SecretHash,
    /// <summary>Days; -1 never expires.</summary>
    int Duration,
    /// <summary>-1 never.</summary>
    long ExpiresAt,
    bool Disabled,
    IReadOnlyList<RobotPermission> Permissions,
    /// <summary>Who created it ("admin", "robot$ci").</summary>
    string Creator,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    /// <summary>What <see cref="Creator"/> is, as Harbor's <c>creator_type</c>: "local" (a user) or "robot".</summary>
    string CreatorType = "local");

public sealed record AuditRecord(
    long Id,
    long? ProjectId,
    string Username,
    string Resource,
    string ResourceType,
    string Operation,
    /// <summary>"success" or "failure".</summary>
    string Result,
    DateTimeOffset OpTime);

public enum DeleteProjectResult { Deleted, NotFound, NotEmpty }

/// <summary>
/// Users, projects, members, robot accounts, the audit log and system settings. Every multi-row
/// change is one transaction. Lists take a <see cref="ListQuery"/>; the fields each list accepts
/// are named on the method.
/// </summary>
public interface IIdentityStore
{
    // ---- projects ----
    Task<ProjectRecord?> GetProjectAsync(string name, CancellationToken cancellationToken = default);
    Task<ProjectRecord?> GetProjectByIdAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Creates the project and makes its owner a Project Admin member, in one transaction; null when the name is taken.</summary>
    Task<ProjectRecord?> CreateProjectAsync(string name, bool isPublic, long ownerId, long storageLimit, CancellationToken cancellationToken = default);

    /// <summary>Changes what is given (null: unchanged); false when there is no such project.</summary>
    Task<bool> UpdateProjectAsync(long id, bool? isPublic, long? storageLimit, CancellationToken cancellationToken = default);

    /// <summary>Deletes a project with no repositories, with its members and robots, in one transaction.</summary>
    Task<DeleteProjectResult> DeleteProjectAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Fields: filters <c>name</c> (exact/fuzzy), <c>public</c> ("true"/"false"), <c>owner</c> (owner's username, exact);
    /// sort <c>name</c>, <c>creation_time</c>, <c>update_time</c>. When <paramref name="visibleToUserId"/> is given only
    /// public projects and projects that user is a member of are listed; null lists all.
    /// </summary>
    Task<Page<ProjectRecord>> ListProjectsAsync(ListQuery query, long? visibleToUserId, CancellationToken cancellationToken = default);

    // ---- members ----
    /// <summary>Fields: filter <c>entityname</c> (username, fuzzy); sort <c>entityname</c>, <c>role_id</c>.</summary>
    Task<Page<MemberRecord>> ListMembersAsync(long projectId, ListQuery query, CancellationToken cancellationToken = default);
    Task<MemberRecord?> GetMemberAsync(long projectId, long memberId, CancellationToken cancellationToken = default);
    /// <summary>Null when the user is already a member of the project.</summary>
    Task<MemberRecord?> AddMemberAsync(long projectId, long userId, int roleId, CancellationToken cancellationToken = default);
    Task<bool> UpdateMemberRoleAsync(long projectId, long memberId, int roleId, CancellationToken cancellationToken = default);
    Task<bool> RemoveMemberAsync(long projectId, long memberId, CancellationToken cancellationToken = default);
    /// <summary>The user's role in the project, or null when not a member.</summary>
    Task<int?> GetRoleAsync(long projectId, long userId, CancellationToken cancellationToken = default);
    /// <summary>Every project the user is a member of, with the role.</summary>
    Task<IReadOnlyDictionary<long, int>> GetRolesAsync(long userId, CancellationToken cancellationToken = default);
    /// <summary>Members per role id of a project (for the summary).</summary>
    Task<IReadOnlyDictionary<int, int>> CountMembersByRoleAsync(long projectId, CancellationToken cancellationToken = default);

    // ---- users ----
    Task<UserRecord?> GetUserAsync(string username, CancellationToken cancellationToken = default);
    Task<UserRecord?> GetUserByIdAsync(long id, CancellationToken cancellationToken = default);
    /// <summary>Null when the username, or a non-empty email, is taken (case-insensitive).</summary>
    Task<UserRecord?> CreateUserAsync(NewUser user, CancellationToken cancellationToken = default);
    /// <summary>False when there is no such user or the email is another user's.</summary>
    Task<bool> UpdateUserProfileAsync(long id, string email, string realname, string comment, CancellationToken cancellationToken = default);
    Task<bool> SetPasswordAsync(long id, string passwordHash, CancellationToken cancellationToken = default);
    Task<bool> SetSysAdminAsync(long id, bool sysAdmin, CancellationToken cancellationToken = default);
    /// <summary>Deletes the user and their memberships in one transaction.</summary>
    Task<bool> DeleteUserAsync(long id, CancellationToken cancellationToken = default);
    /// <summary>Fields: filters <c>username</c>, <c>email</c> (exact/fuzzy); sort <c>username</c>, <c>email</c>, <c>creation_time</c>, <c>update_time</c>.</summary>
    Task<Page<UserRecord>> ListUsersAsync(ListQuery query, CancellationToken cancellationToken = default);

    // ---- robots ----
    /// <summary>Stores a new robot (its <c>Id</c> is ignored); null when the name is taken.</summary>
    Task<RobotRecord?> CreateRobotAsync(RobotRecord robot, CancellationToken cancellationToken = default);
    Task<RobotRecord?> GetRobotAsync(long id, CancellationToken cancellationToken = default);
    Task<RobotRecord?> GetRobotByNameAsync(string name, CancellationToken cancellationToken = default);
    /// <summary>Writes description, duration, expires_at, disabled and permissions.</summary>
    Task<bool> UpdateRobotAsync(RobotRecord robot, CancellationToken cancellationToken = default);
    Task<bool> SetRobotSecretAsync(long id, string secretHash, CancellationToken cancellationToken = default);
    Task<bool> DeleteRobotAsync(long id, CancellationToken cancellationToken = default);
    /// <summary>Fields: filters <c>name</c> (exact/fuzzy), <c>level</c>, <c>project_id</c> (exact); sort <c>name</c>, <c>creation_time</c>.</summary>
    Task<Page<RobotRecord>> ListRobotsAsync(ListQuery query, CancellationToken cancellationToken = default);

    // ---- audit log ----
    Task AppendAuditAsync(AuditRecord entry, CancellationToken cancellationToken = default);
    /// <summary>
    /// Newest first unless sorted. Fields: filters <c>username</c>, <c>resource</c>, <c>resource_type</c>, <c>operation</c>
    /// (exact/fuzzy), <c>op_time</c> (range, Unix milliseconds); sort <c>op_time</c>. <paramref name="projectId"/> limits to one project.
    /// </summary>
    Task<Page<AuditRecord>> ListAuditAsync(ListQuery query, long? projectId, CancellationToken cancellationToken = default);
    /// <summary>Deletes entries older than <paramref name="cutoff"/>; returns how many.</summary>
    Task<long> PurgeAuditAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);

    // ---- system settings (key/value, values are JSON text) ----
    Task<IReadOnlyDictionary<string, string>> GetSettingsAsync(CancellationToken cancellationToken = default);
    /// <summary>Upserts the given keys in one transaction.</summary>
    Task SetSettingsAsync(IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken = default);
}

public sealed record RepositoryRecord(
    /// <summary>Stable id derived from the name (<see cref="StableIds.Of"/>).</summary>
    long Id,
    string Name,
    string Project,
    string Description,
    long ArtifactCount,
    long PullCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record TagRecord(string Name, DateTimeOffset PushedAt, DateTimeOffset? PulledAt);

public sealed record ArtifactRecord(
    long Id,
    string Repository,
    Digest Digest,
    string MediaType,
    /// <summary>The manifest's artifactType, or its config's media type.</summary>
    string? ArtifactType,
    /// <summary>The manifest plus every blob it references.</summary>
    long Size,
    Digest? Subject,
    ImmutableDictionary<string, string>? Annotations,
    DateTimeOffset PushedAt,
    DateTimeOffset? PulledAt,
    IReadOnlyList<TagRecord> Tags,
    /// <summary>Child manifests of an index.</summary>
    IReadOnlyList<Digest> Children,
    /// <summary>Labels attached to the artifact, by name.</summary>
    IReadOnlyList<LabelRecord>? Labels = null);

public sealed record PullRecord(string Repository, Digest Digest, string? Tag, DateTimeOffset At, int Count);

public sealed record RegistryStatistics(long PrivateProjects, long PublicProjects, long PrivateRepositories, long PublicRepositories, long StorageBytes);

/// <summary>Read model of repositories and artifacts for the management API; writes go through the repository grains.</summary>
public interface IArtifactQueries
{
    /// <summary>
    /// Fields: filters <c>name</c> (full name, exact/fuzzy); sort <c>name</c>, <c>creation_time</c>, <c>update_time</c>, <c>pull_count</c>.
    /// <paramref name="projects"/> limits to those projects (null: all).
    /// </summary>
    Task<Page<RepositoryRecord>> ListRepositoriesAsync(ListQuery query, IReadOnlyCollection<string>? projects, CancellationToken cancellationToken = default);
    Task<RepositoryRecord?> GetRepositoryAsync(string name, CancellationToken cancellationToken = default);
    Task<bool> SetRepositoryDescriptionAsync(string name, string description, CancellationToken cancellationToken = default);
    Task<long> CountRepositoriesAsync(string project, CancellationToken cancellationToken = default);

    /// <summary>
    /// Artifacts of a repository, excluding manifests that are only children of an index in it.
    /// Fields: filters <c>digest</c>, <c>tags</c> (a tag name, exact/fuzzy; "nil" for untagged), <c>media_type</c>, <c>artifact_type</c>,
    /// <c>labels</c> (label ids: exact, any of, all of);
    /// sort <c>push_time</c> (default, newest first), <c>pull_time</c>, <c>digest</c>.
    /// </summary>
    Task<Page<ArtifactRecord>> ListArtifactsAsync(string repository, ListQuery query, CancellationToken cancellationToken = default);
    Task<ArtifactRecord?> GetArtifactAsync(string repository, Digest digest, CancellationToken cancellationToken = default);

    /// <summary>Applies a batch of pulls: pull time of manifest and tag, repository pull count, in one transaction.</summary>
    Task RecordPullsAsync(IReadOnlyList<PullRecord> pulls, CancellationToken cancellationToken = default);

    /// <summary>Bytes of unique blobs linked to the project's repositories plus its manifests.</summary>
    Task<long> ProjectStorageAsync(string project, CancellationToken cancellationToken = default);
    Task<RegistryStatistics> StatisticsAsync(CancellationToken cancellationToken = default);
}

/// <summary>Ids of things keyed by name (repositories, artifacts): the same on every node and after a restart.</summary>
public static class StableIds
{
    public static long Of(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key), hash);
        // 53 bits: exact in JavaScript numbers.
        return (long)(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11);
    }
}
