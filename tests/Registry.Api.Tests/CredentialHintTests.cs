using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Registry.Api.Auth;
using Registry.Grains.Metadata;

namespace Registry.Api.Tests;

/// <summary>
/// The shared cache of verified logins (Redis in a cluster) is only a hint: flushed, logins still
/// work; a hint that does not match the user's current password hash never lets a wrong password in.
/// </summary>
public sealed class CredentialHintTests : IAsyncLifetime
{
    private readonly RegistryFactory _registry = new();

    public async Task InitializeAsync()
    {
        using var response = await _registry.Admin.GetAsync("/v2/"); // starts the host, creates the admin
    }

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    private IAccountStore Accounts => _registry.Services.GetRequiredService<IAccountStore>();

    /// <summary>Another node: its own memory cache, the given shared cache.</summary>
    private UserAuthenticator Node(IDistributedCache shared) =>
        new(Accounts, _registry.Services.GetRequiredService<IIdentityStore>(), _registry.Services.GetRequiredService<Registry.Api.Management.SystemSettings>(),
            _registry.Services.GetRequiredService<Registry.Api.Identity.Ldap.ILdapDirectory>(), new MemoryCache(Options.Create(new MemoryCacheOptions())), shared,
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<UserAuthenticator>.Instance);

    [Fact]
    public async Task AFlushedSharedCacheChangesNoAnswer()
    {
        var shared = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        Assert.NotNull(await Node(shared).AuthenticateAsync(RegistryFactory.AdminUser, _registry.AdminPassword));
        Assert.NotNull(await Node(shared).AuthenticateAsync(RegistryFactory.AdminUser, _registry.AdminPassword)); // from the hint

        var flushed = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        Assert.NotNull(await Node(flushed).AuthenticateAsync(RegistryFactory.AdminUser, _registry.AdminPassword));
        Assert.Null(await Node(flushed).AuthenticateAsync(RegistryFactory.AdminUser, "wrong"));
    }

    [Fact]
    public async Task AHintNotMatchingTheCurrentPasswordHashDoesNotLetAWrongPasswordIn()
    {
        var shared = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        var secret = Convert.FromBase64String(await Accounts.GetOrAddSecretAsync("credential-cache-key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
        var key = "cred:" + Convert.ToHexString(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(RegistryFactory.AdminUser + "\0wrong")));
        // A stale hint, as left by a password that has since changed: another hash's fingerprint.
        await shared.SetStringAsync(key, Convert.ToHexString(SHA256.HashData("an old hash"u8.ToArray()), 0, 16));
        Assert.Null(await Node(shared).AuthenticateAsync(RegistryFactory.AdminUser, "wrong"));
    }
}
