namespace Registry.Api.Auth;

/// <summary>One grant of a token: <c>{type, name, actions}</c> as in the Docker token specification.</summary>
public sealed record TokenAccess(string Type, string Name, IReadOnlyList<string> Actions);

/// <summary>
/// Who is calling. Basic and anonymous callers are judged by the access policy; a bearer caller
/// may only do what its token grants.
/// </summary>
public sealed record Caller(string? Username, bool SysAdmin, IReadOnlyList<TokenAccess>? Grants)
{
    public static readonly Caller Anonymous = new(null, false, null);

    public bool IsAnonymous => Username is null && Grants is null;

    public bool HasToken => Grants is not null;
}

public static class Actions
{
    public const string Pull = "pull";
    public const string Push = "push";
    public const string Delete = "delete";
    public const string All = "*";
}
