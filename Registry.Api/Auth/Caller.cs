using Registry.Grains.Metadata;

namespace Registry.Api.Auth;

/// <summary>One grant of a token: <c>{type, name, actions}</c> as in the Docker token specification.</summary>
public sealed record TokenAccess(string Type, string Name, IReadOnlyList<string> Actions);

/// <summary>
/// Who is calling. Basic and anonymous callers are judged by the access policy on their current
/// roles; a bearer caller of the distribution API may only do what its token grants.
/// </summary>
/// <param name="Username">The user's name or the robot's full name; null for anonymous.</param>
/// <param name="UserId">The user's id; null for anonymous callers and robots.</param>
/// <param name="Robot">The robot account, when a robot is calling.</param>
public sealed record Caller(string? Username, bool SysAdmin, IReadOnlyList<TokenAccess>? Grants, long? UserId = null, RobotRecord? Robot = null)
{
    public static readonly Caller Anonymous = new(null, false, null);

    public bool IsAnonymous => Username is null && Grants is null;

    public bool HasToken => Grants is not null;

    public bool IsRobot => Robot is not null;

    /// <summary>The same identity without token grants: what a token's subject may do now.</summary>
    public Caller WithoutGrants() => this with { Grants = null };
}

public static class Actions
{
    public const string Pull = "pull";
    public const string Push = "push";
    public const string Delete = "delete";
    public const string All = "*";
}
