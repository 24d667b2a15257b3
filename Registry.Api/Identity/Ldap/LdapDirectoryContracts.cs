namespace Registry.Api.Identity.Ldap;

/// <summary>Harbor's <c>ldap_*</c> settings (auth mode <c>ldap_auth</c>).</summary>
/// <param name="Url"><c>ldap_url</c>: <c>ldap://host[:port]</c>, <c>ldaps://host[:port]</c>, or a bare <c>host[:port]</c> (plain LDAP).</param>
/// <param name="SearchDn"><c>ldap_search_dn</c>: the DN bound for searching; null or empty for an anonymous bind.</param>
/// <param name="SearchPassword"><c>ldap_search_password</c>.</param>
/// <param name="BaseDn"><c>ldap_base_dn</c>: where user searches start.</param>
/// <param name="Filter"><c>ldap_filter</c>: an RFC 4515 filter ANDed with the uid match, with or without its outer parentheses; optional.</param>
/// <param name="Uid"><c>ldap_uid</c>: the attribute holding the username (<c>uid</c>, <c>cn</c>, <c>mail</c>, <c>sAMAccountName</c>...).</param>
/// <param name="Scope"><c>ldap_scope</c>: 0 base, 1 one level, 2 subtree.</param>
/// <param name="ConnectionTimeoutSeconds"><c>ldap_connection_timeout</c>: bounds the connection (TCP and TLS) and each request's answer; 5 when not positive.</param>
/// <param name="VerifyCert"><c>ldap_verify_cert</c>: for <c>ldaps://</c>, whether the server certificate must be trusted and match the host.</param>
public sealed record LdapSettings(
    string Url,
    string? SearchDn,
    string? SearchPassword,
    string BaseDn,
    string? Filter,
    string Uid,
    int Scope,
    int ConnectionTimeoutSeconds,
    bool VerifyCert)
{
    public const int DefaultConnectionTimeoutSeconds = 5;

    /// <summary>The connection timeout in force: <see cref="ConnectionTimeoutSeconds"/>, or 5 s when not positive.</summary>
    public TimeSpan Timeout => TimeSpan.FromSeconds(ConnectionTimeoutSeconds > 0 ? ConnectionTimeoutSeconds : DefaultConnectionTimeoutSeconds);

    /// <summary>Never prints the search password.</summary>
    public override string ToString() =>
        $"LdapSettings {{ Url = {Url}, SearchDn = {SearchDn}, BaseDn = {BaseDn}, Filter = {Filter}, Uid = {Uid}, Scope = {Scope}, " +
        $"ConnectionTimeoutSeconds = {ConnectionTimeoutSeconds}, VerifyCert = {VerifyCert} }}";
}

/// <summary>A user entry of the directory.</summary>
/// <param name="Username">The value of the uid attribute (as the directory spells it).</param>
/// <param name="Realname"><c>displayName</c>, else <c>cn</c>, else the username.</param>
/// <param name="Email"><c>mail</c>, or empty.</param>
/// <param name="Dn">The entry's distinguished name.</param>
public sealed record LdapUser(string Username, string Realname, string Email, string Dn);

/// <summary>An LDAP directory as Harbor's <c>ldap_auth</c> mode uses it.</summary>
public interface ILdapDirectory
{
    /// <summary>
    /// Connects and binds with the search DN: (true, "") or (false, a short human message — never
    /// a stack trace, never the password).
    /// </summary>
    Task<(bool Success, string Message)> PingAsync(LdapSettings settings, CancellationToken ct);

    /// <summary>
    /// Users whose uid attribute matches <paramref name="username"/> (exactly; or all users,
    /// capped at 100, when it is empty or "*"), combined with the configured filter.
    /// </summary>
    /// <exception cref="LdapUnavailableException">The directory could not be searched.</exception>
    Task<IReadOnlyList<LdapUser>> SearchAsync(LdapSettings settings, string? username, CancellationToken ct);

    /// <summary>
    /// Finds exactly one entry for the username (search bind), then binds as that DN with the
    /// password. Null when unknown, ambiguous, or wrong password (an empty password is always
    /// wrong: a simple bind with a DN and no password is an unauthenticated bind).
    /// </summary>
    /// <exception cref="LdapUnavailableException">The server can't be reached or used.</exception>
    Task<LdapUser?> AuthenticateAsync(LdapSettings settings, string username, string password, CancellationToken ct);
}

/// <summary>
/// The directory could not be used: the server is unreachable or did not answer in time, TLS
/// failed, the search bind was refused, the settings are invalid, or the server returned an error.
/// The message is short, for people, and never holds a password.
/// </summary>
public sealed class LdapUnavailableException : Exception
{
    public LdapUnavailableException(string message) : base(message) { }

    public LdapUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
