using System.Text.Json;

namespace Registry.Portal.Api.Models;

// What the administration pages send to and read from the management API (snake_case on the wire).

/// <summary>A user as <c>GET /users</c> lists them.</summary>
public sealed record UserEntry(long UserId, string Username, string? Email, string? Realname, bool SysadminFlag, DateTimeOffset CreationTime);

/// <summary>Body of <c>POST /users</c>.</summary>
public sealed record UserCreation(string Username, string? Email, string? Realname, string Password);

/// <summary>Body of <c>PUT /users/{id}/password</c> when an admin resets someone else's password (no old one).</summary>
public sealed record PasswordReset(string NewPassword);

/// <summary>Body of <c>PUT /users/{id}/sysadmin</c>.</summary>
public sealed record SysAdminFlag(bool SysadminFlag);

public sealed record RobotAccessEntry(string Resource, string Action, string? Effect = null);

public sealed record RobotPermissionEntry(string Kind, string Namespace, IReadOnlyList<RobotAccessEntry> Access);

/// <summary>A robot account as <c>GET /robots</c> lists it (never with its secret).</summary>
public sealed record RobotEntry(long Id, string Name, string? Description, string Level, int Duration, bool Disable, long ExpiresAt,
    IReadOnlyList<RobotPermissionEntry> Permissions, string? CreatorRef, DateTimeOffset CreationTime);

/// <summary>Body of <c>POST /robots</c>; <c>Duration</c> is days, -1 for never.</summary>
public sealed record RobotCreation(string Name, string? Description, int Duration, string Level, bool Disable, IReadOnlyList<RobotPermissionEntry> Permissions);

/// <summary>What <c>POST /robots</c> answers: the only time the secret is readable.</summary>
public sealed record RobotCreated(long Id, string Name, string Secret, long ExpiresAt);

/// <summary>Body of <c>PUT /robots/{id}</c> that changes only whether the robot is disabled.</summary>
public sealed record RobotDisable(long Id, string Name, string Level, bool Disable);

/// <summary>Body and answer of <c>PATCH /robots/{id}</c> (no secret asked for: the API makes one).</summary>
public sealed record RobotSecret(string? Secret);

/// <summary>A project's id and name, for choosing the projects a robot may use.</summary>
public sealed record ProjectChoice(long ProjectId, string Name);

/// <summary>One entry of <c>GET /configurations</c>.</summary>
public sealed record ConfigurationItem(JsonElement Value, bool Editable);

/// <summary>Body of <c>POST /ldap/ping</c>: settings to try; what is left out comes from the stored configuration.</summary>
public sealed record LdapConfiguration(string? LdapUrl, string? LdapSearchDn, string? LdapSearchPassword, string? LdapBaseDn, string? LdapFilter,
    string? LdapUid, int? LdapScope, int? LdapConnectionTimeout, bool? LdapVerifyCert);

public sealed record LdapPingResult(bool Success, string? Message);

/// <summary><c>GET /systeminfo</c> as a signed-in caller sees it.</summary>
public sealed record SystemInfo(string AuthMode, string HarborVersion, string? RegistryStorageProviderName, string? ExternalUrl,
    string? ProjectCreationRestriction, bool SelfRegistration, bool ReadOnly);

public sealed record ComponentHealth(string Name, string Status, string? Error);

/// <summary><c>GET /health</c>: the overall status and each component's.</summary>
public sealed record SystemHealth(string Status, IReadOnlyList<ComponentHealth> Components);

/// <summary><c>GET /statistics</c>; the totals are only filled in for system admins.</summary>
public sealed record Statistics(long PrivateProjectCount, long PrivateRepoCount, long PublicProjectCount, long PublicRepoCount,
    long TotalProjectCount, long TotalRepoCount, long TotalStorageConsumption);
