using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Registry.Api.Identity.Ldap;
using Registry.Api.Management;
using Registry.Grains.Metadata;

namespace Registry.Api.Auth;

/// <summary>
/// Checks a name and password: a local user's (PBKDF2 hash in the database), a robot account's
/// secret, or, in <c>ldap_auth</c> mode, a directory user's (onboarded as a local user with no
/// usable password on first login; the admin always signs in locally).
/// <para>
/// A verified pair is remembered briefly so PBKDF2 is not recomputed for every request of a push:
/// in this node's memory, and in the shared cache (Redis in a cluster) so the other nodes skip it
/// too. Either entry is only a hint: it holds a fingerprint of the hash it was verified against and
/// counts only while the account's current hash still has that fingerprint, so a changed password,
/// a refreshed robot secret, a deleted user or a disabled robot takes effect on the next request
/// of the node that made the change, and within a second on the others.
/// The shared entry is keyed by an HMAC of the pair under a secret kept in the metadata database.
/// </para>
/// </summary>
public sealed class UserAuthenticator(
    IAccountStore accounts, IIdentityStore identity, SystemSettings settings, ILdapDirectory ldap,
    IMemoryCache cache, IDistributedCache shared, TimeProvider clock, ILogger<UserAuthenticator> logger)
{
    private const string CacheKeySecret = "credential-cache-key";
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan LdapCacheFor = TimeSpan.FromMinutes(1);
    private static readonly string DummyHash = PasswordHasher.Hash(Guid.NewGuid().ToString());
    private byte[]? _hmacKey;

    /// <summary>The caller these credentials stand for, or null when they are wrong (or the account cannot sign in).</summary>
    public async Task<Caller?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        if (username.Length is 0 or > 255 || password.Length is 0 or > 1024) return null;
        var current = await settings.GetAsync(cancellationToken);
        if (username.StartsWith(current.RobotNamePrefix, StringComparison.Ordinal))
            return await RobotAsync(username, password, cancellationToken);
        var user = await RowAsync("user", username, identity.GetUserAsync, cancellationToken);
        if (current.LdapAuth && user?.Id != 1)
            return await LdapAsync(current.Ldap, username, password, user, cancellationToken);
        if (user is { Source: not "db" }) user = null;
        return await VerifyAsync("user", username, password, user?.PasswordHash, cancellationToken)
            ? new Caller(user!.Username, user.SysAdmin, null, user.Id)
            : null;
    }

    private async Task<Caller?> RobotAsync(string name, string secret, CancellationToken cancellationToken)
    {
        var robot = await UsableRobotAsync(name, cancellationToken);
        return await VerifyAsync("robot", name, secret, robot?.SecretHash, cancellationToken)
            ? new Caller(robot!.Name, false, null, null, robot)
            : null;
    }

    /// <summary>
    /// An account's row, read at most once a second per node: a push sends many requests with the
    /// same credentials. Changes made through this node call <see cref="Forget"/> and count at
    /// once; changes made through another node count here within <see cref="RowCacheFor"/>.
    /// </summary>
    private async Task<T?> RowAsync<T>(string kind, string name, Func<string, CancellationToken, Task<T?>> load, CancellationToken cancellationToken) where T : class
    {
        var key = $"row:{kind}:{name}";
        if (cache.TryGetValue(key, out T? row)) return row;
        row = await load(name, cancellationToken);
        if (row is not null) cache.Set(key, row, RowCacheFor);
        return row;
    }

    public static readonly TimeSpan RowCacheFor = TimeSpan.FromSeconds(1);

    /// <summary>Drops this node's copy of an account's row after it changed (password, secret, admin flag, disabled, deleted).</summary>
    public void Forget(string name)
    {
        cache.Remove($"row:user:{name}");
        cache.Remove($"row:robot:{name}");
    }

    /// <summary>A robot that may sign in now: it exists, is enabled and has not expired.</summary>
    private async Task<RobotRecord?> UsableRobotAsync(string name, CancellationToken cancellationToken) =>
        await RowAsync("robot", name, identity.GetRobotByNameAsync, cancellationToken) is { } robot && !robot.Disabled && !IsExpired(robot) ? robot : null;

    /// <summary>
    /// The caller an account name (a token's subject) stands for now, without a password: the user,
    /// or the robot while it may still sign in; null when there is no such account any more.
    /// </summary>
    public async Task<Caller?> AccountAsync(string name, CancellationToken cancellationToken)
    {
        if (name.StartsWith((await settings.GetAsync(cancellationToken)).RobotNamePrefix, StringComparison.Ordinal))
            return await UsableRobotAsync(name, cancellationToken) is { } robot ? new Caller(robot.Name, false, null, null, robot) : null;
        return await RowAsync("user", name, identity.GetUserAsync, cancellationToken) is { } user ? new Caller(user.Username, user.SysAdmin, null, user.Id) : null;
    }

    /// <summary>A local row for a directory user (roles and memberships live here), with a password nobody knows.</summary>
    public async Task<UserRecord?> OnboardAsync(LdapUser entry, CancellationToken cancellationToken)
    {
        var unusable = PasswordHasher.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        return await identity.CreateUserAsync(new NewUser(entry.Username, unusable, false, entry.Email, entry.Realname, "onboarded from LDAP", "ldap"), cancellationToken)
            ?? await identity.CreateUserAsync(new NewUser(entry.Username, unusable, false, "", entry.Realname, "onboarded from LDAP", "ldap"), cancellationToken)
            ?? await identity.GetUserAsync(entry.Username, cancellationToken);
    }

    public bool IsExpired(RobotRecord robot) => robot.ExpiresAt > 0 && robot.ExpiresAt <= clock.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Whether <paramref name="secret"/> matches <paramref name="hash"/> (null: no such account, still costs a hash).</summary>
    private async Task<bool> VerifyAsync(string kind, string name, string secret, string? hash, CancellationToken cancellationToken)
    {
        var localKey = $"cred:{kind}:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(name + "\0" + secret)));
        if (hash is not null && cache.TryGetValue(localKey, out string? known) && known == Fingerprint(hash)) return true;

        var sharedKey = await SharedKeyAsync(kind, name, secret, cancellationToken);
        var hint = hash is null ? null : await TryGetHintAsync(sharedKey, cancellationToken);
        if (hash is null || hint != Fingerprint(hash))
        {
            // An unknown account costs a full hash too, so timing does not tell which names exist.
            if (!PasswordHasher.Verify(secret, hash ?? DummyHash) || hash is null) return false;
            await TrySetHintAsync(sharedKey, Fingerprint(hash), cancellationToken);
        }
        cache.Set(localKey, Fingerprint(hash), CacheFor);
        return true;
    }

    private async Task<Caller?> LdapAsync(LdapSettings ldapSettings, string username, string password, UserRecord? user, CancellationToken cancellationToken)
    {
        var localKey = "cred:ldap:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(username + "\0" + password)));
        if (user is { Source: "ldap" } && cache.TryGetValue(localKey, out long knownId) && knownId == user.Id)
            return new Caller(user.Username, user.SysAdmin, null, user.Id);

        var entry = await ldap.AuthenticateAsync(ldapSettings, username, password, cancellationToken);
        if (entry is null) return null;
        user ??= await identity.GetUserAsync(entry.Username, cancellationToken);
        if (user is null)
        {
            user = await OnboardAsync(entry, cancellationToken);
            if (user is null) return null;
            logger.LogInformation("Onboarded LDAP user {User} ({Dn})", user.Username, entry.Dn);
        }
        if (user.Source != "ldap") return null; // a local account of that name is not the directory's to take over
        cache.Set(localKey, user.Id, LdapCacheFor);
        return new Caller(user.Username, user.SysAdmin, null, user.Id);
    }

    /// <summary>Parses <c>Authorization: Basic</c>; null when absent or malformed.</summary>
    public static (string User, string Password)? ParseBasic(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':');
            return colon <= 0 ? null : (decoded[..colon], decoded[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private async Task<string> SharedKeyAsync(string kind, string name, string secret, CancellationToken cancellationToken)
    {
        _hmacKey ??= Convert.FromBase64String(await accounts.GetOrAddSecretAsync(
            CacheKeySecret, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), cancellationToken));
        var prefix = kind == "user" ? "" : kind + "\0";
        return "cred:" + Convert.ToHexString(HMACSHA256.HashData(_hmacKey, Encoding.UTF8.GetBytes(prefix + name + "\0" + secret)));
    }

    private static string Fingerprint(string passwordHash) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(passwordHash)), 0, 16);

    // The shared cache being down must never fail a login: it is skipped, not waited for.
    private async Task<string?> TryGetHintAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await shared.GetStringAsync(key, cancellationToken).WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task TrySetHintAsync(string key, string value, CancellationToken cancellationToken)
    {
        try
        {
            await shared.SetStringAsync(key, value, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheFor }, cancellationToken)
                .WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // a hint not written costs one more hash elsewhere, nothing else
        }
    }
}
