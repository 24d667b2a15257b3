// TEMPORARY (not committed): until the LDAP branch lands.
namespace Registry.Api.Identity.Ldap;

public static class TempLdapExtensions
{
    public static IServiceCollection AddLdap(this IServiceCollection services) => services.AddSingleton<ILdapDirectory, TempLdap>();

    private sealed class TempLdap : ILdapDirectory
    {
        public Task<(bool Success, string Message)> PingAsync(LdapSettings settings, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<LdapUser>> SearchAsync(LdapSettings settings, string? username, CancellationToken ct) => throw new NotSupportedException();
        public Task<LdapUser?> AuthenticateAsync(LdapSettings settings, string username, string password, CancellationToken ct) => throw new NotSupportedException();
    }
}
