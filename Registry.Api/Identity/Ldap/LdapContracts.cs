// Placeholder of the contract until the LDAP branch lands (replaced by it).
namespace Registry.Api.Identity.Ldap;

public sealed record LdapSettings(string Url, string? SearchDn, string? SearchPassword, string BaseDn, string? Filter, string Uid, int Scope, int ConnectionTimeoutSeconds, bool VerifyCert);

public sealed record LdapUser(string Username, string Realname, string Email, string Dn);

public interface ILdapDirectory
{
    Task<(bool Success, string Message)> PingAsync(LdapSettings settings, CancellationToken ct);
    Task<IReadOnlyList<LdapUser>> SearchAsync(LdapSettings settings, string? username, CancellationToken ct);
    Task<LdapUser?> AuthenticateAsync(LdapSettings settings, string username, string password, CancellationToken ct);
}
