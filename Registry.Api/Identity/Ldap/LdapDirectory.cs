using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;

namespace Registry.Api.Identity.Ldap;

/// <summary>
/// Harbor's <c>ldap_auth</c> against an LDAPv3 server, over a small managed client (simple bind
/// and search, plain or <c>ldaps://</c>). Each call opens its own connection, bounded by
/// <c>ldap_connection_timeout</c>, and closes it.
/// </summary>
public sealed class LdapDirectory(ILogger<LdapDirectory>? logger = null) : ILdapDirectory
{
    /// <summary>The most entries a listing returns (Harbor's search of all users).</summary>
    public const int MaxResults = 100;

    // Bind results that mean "these credentials don't get in" rather than "the server is broken".
    private static readonly HashSet<int> RefusedBindCodes =
    [
        LdapResult.InvalidCredentials,
        19, // constraintViolation (password policies: locked, expired)
        48, // inappropriateAuthentication
        50, // insufficientAccessRights
        53, // unwillingToPerform (disabled accounts, unauthenticated binds)
    ];

    private readonly ILogger _logger = logger ?? NullLogger<LdapDirectory>.Instance;

    public async Task<(bool Success, string Message)> PingAsync(LdapSettings settings, CancellationToken ct)
    {
        try
        {
            var endpoint = LdapEndpoint.Parse(settings.Url);
            await using var connection = await LdapConnection.OpenAsync(endpoint, settings.VerifyCert, settings.Timeout, ct);
            await SearchBindAsync(connection, settings, ct);
            return (true, "");
        }
        catch (LdapUnavailableException ex)
        {
            _logger.LogInformation("LDAP ping of {Url} failed: {Reason}", settings.Url, ex.Message);
            return (false, ex.Message);
        }
    }

    public async Task<IReadOnlyList<LdapUser>> SearchAsync(LdapSettings settings, string? username, CancellationToken ct)
    {
        var all = string.IsNullOrEmpty(username) || username == "*";
        var query = Query.From(settings, all ? null : username);
        await using var connection = await LdapConnection.OpenAsync(query.Endpoint, settings.VerifyCert, settings.Timeout, ct);
        await SearchBindAsync(connection, settings, ct);
        var entries = await FindAsync(connection, query, MaxResults, ct);
        return [.. entries.Select(entry => ToUser(entry, query.Uid, all ? null : username)).OfType<LdapUser>()];
    }

    public async Task<LdapUser?> AuthenticateAsync(LdapSettings settings, string username, string password, CancellationToken ct)
    {
        // A simple bind with a DN and an empty password is an "unauthenticated bind" (RFC 4513
        // section 5.1.2), which many servers accept as anonymous: never let one through.
        if (string.IsNullOrWhiteSpace(username) || string.IsNullOrEmpty(password)) return null;

        var query = Query.From(settings, username);
        await using var connection = await LdapConnection.OpenAsync(query.Endpoint, settings.VerifyCert, settings.Timeout, ct);
        await SearchBindAsync(connection, settings, ct);
        var entries = await FindAsync(connection, query, sizeLimit: 2, ct);
        if (entries.Count != 1)
        {
            _logger.LogDebug("LDAP login: {Count} entries for the username, not exactly one", entries.Count);
            return null;
        }

        var user = ToUser(entries[0], query.Uid, username);
        if (user is null || string.IsNullOrEmpty(user.Dn)) return null;

        var bind = await connection.BindAsync(user.Dn, password, ct);
        if (bind.IsSuccess) return user;
        if (RefusedBindCodes.Contains(bind.Code))
        {
            _logger.LogDebug("LDAP login refused for {Dn}: {Reason}", user.Dn, bind.Describe());
            return null;
        }

        throw new LdapUnavailableException($"binding as the user failed: {bind.Describe()}");
    }

    /// <summary>Binds with <c>ldap_search_dn</c> and its password, or anonymously when no DN is set.</summary>
    private static async Task SearchBindAsync(LdapConnection connection, LdapSettings settings, CancellationToken ct)
    {
        var dn = settings.SearchDn?.Trim() ?? "";
        var password = settings.SearchPassword ?? "";
        if (dn.Length > 0 && password.Length == 0)
        {
            throw new LdapUnavailableException("ldap_search_password is empty: a bind with a DN and no password is unauthenticated (leave ldap_search_dn empty for an anonymous bind)");
        }

        var result = await connection.BindAsync(dn, password, ct);
        if (!result.IsSuccess)
        {
            throw new LdapUnavailableException(dn.Length == 0
                ? $"anonymous bind refused: {result.Describe()}"
                : $"bind as ldap_search_dn refused: {result.Describe()}");
        }
    }

    private static async Task<List<LdapEntry>> FindAsync(LdapConnection connection, Query query, int sizeLimit, CancellationToken ct)
    {
        var (result, entries) = await connection.SearchAsync(query.BaseDn, query.Scope, query.Filter, sizeLimit, query.Attributes, ct);
        return result.Code switch
        {
            LdapResult.Success or LdapResult.SizeLimitExceeded => entries,
            LdapResult.NoSuchObject => throw new LdapUnavailableException($"ldap_base_dn '{query.BaseDn}' does not exist"),
            _ => throw new LdapUnavailableException($"search failed: {result.Describe()}"),
        };
    }

    /// <summary>
    /// The user for an entry: the username is the uid value equal (ignoring case, as LDAP matches)
    /// to the one asked for, else the first; null when the entry has no uid value.
    /// </summary>
    private static LdapUser? ToUser(LdapEntry entry, string uid, string? asked)
    {
        var values = entry.Values(uid);
        var username = (asked is null ? null : values.FirstOrDefault(v => string.Equals(v, asked, StringComparison.OrdinalIgnoreCase)))
                       ?? entry.First(uid);
        if (string.IsNullOrEmpty(username)) return null;
        var realname = entry.First("displayName") ?? entry.First("cn") ?? username;
        return new LdapUser(username, realname, entry.First("mail") ?? "", entry.Dn);
    }

    /// <summary>The validated settings of one search, with its filter string.</summary>
    private sealed record Query(LdapEndpoint Endpoint, string BaseDn, int Scope, string Uid, string Filter, string[] Attributes)
    {
        public static Query From(LdapSettings settings, string? username)
        {
            var endpoint = LdapEndpoint.Parse(settings.Url);
            if (settings.Scope is < 0 or > 2) throw new LdapUnavailableException($"ldap_scope must be 0 (base), 1 (one level) or 2 (subtree), not {settings.Scope}");
            var uid = settings.Uid?.Trim() ?? "";
            if (!LdapFilter.IsAttributeDescription(uid)) throw new LdapUnavailableException($"ldap_uid '{uid}' is not an attribute name");

            string? configured;
            try
            {
                configured = LdapFilter.Normalize(settings.Filter);
            }
            catch (FormatException ex)
            {
                throw new LdapUnavailableException($"ldap_filter is not valid: {ex.Message}");
            }

            // The username is escaped (RFC 4515): "*", "(", ")", "\" and NUL only ever match themselves.
            var match = username is null ? $"({uid}=*)" : $"({uid}={LdapFilter.Escape(username)})";
            var filter = configured is null ? match : $"(&{configured}{match})";
            return new Query(endpoint, settings.BaseDn?.Trim() ?? "", settings.Scope, uid, filter, [.. new[] { uid, "cn", "displayName", "mail" }.Distinct(StringComparer.OrdinalIgnoreCase)]);
        }
    }
}

public static class LdapServiceCollectionExtensions
{
    /// <summary>Registers <see cref="ILdapDirectory"/> (a singleton <see cref="LdapDirectory"/>).</summary>
    public static IServiceCollection AddLdap(this IServiceCollection services)
    {
        services.TryAddSingleton<ILdapDirectory, LdapDirectory>();
        return services;
    }
}
