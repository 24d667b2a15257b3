using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Registry.Grains.Metadata;

namespace Registry.Api.Auth;

/// <summary>
/// Checks a username and password. A verified pair is remembered briefly so PBKDF2 is not
/// recomputed for every request of a push: in this node's memory, and in the shared cache (Redis
/// in a cluster) so the other nodes skip it too. The shared entry is only a hint: it is keyed by
/// an HMAC of the pair under a secret kept in the metadata database, holds a fingerprint of the
/// password hash it was verified against, and is ignored unless the user's current hash still
/// matches; with the cache flushed or forged, the answer is the same, only slower.
/// </summary>
public sealed class UserAuthenticator(IAccountStore accounts, IMemoryCache cache, IDistributedCache shared)
{
    private const string CacheKeySecret = "credential-cache-key";
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(2);
    private static readonly string DummyHash = PasswordHasher.Hash(Guid.NewGuid().ToString());
    private byte[]? _hmacKey;

    public async Task<Caller?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        var key = "cred:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(username + "\0" + password)));
        if (cache.TryGetValue(key, out Caller? cached)) return cached;

        var sharedKey = await SharedKeyAsync(username, password, cancellationToken);
        var hint = await TryGetHintAsync(sharedKey, cancellationToken);
        var user = await accounts.GetUserAsync(username, cancellationToken);
        if (hint is null || user is null || hint != Fingerprint(user.PasswordHash))
        {
            // An unknown user costs a full hash too, so timing does not tell which names exist.
            if (!PasswordHasher.Verify(password, user?.PasswordHash ?? DummyHash) || user is null) return null;
            await TrySetHintAsync(sharedKey, Fingerprint(user.PasswordHash), cancellationToken);
        }

        var caller = new Caller(user.Username, user.SysAdmin, null);
        cache.Set(key, caller, CacheFor);
        return caller;
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

    private async Task<string> SharedKeyAsync(string username, string password, CancellationToken cancellationToken)
    {
        _hmacKey ??= Convert.FromBase64String(await accounts.GetOrAddSecretAsync(
            CacheKeySecret, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), cancellationToken));
        return "cred:" + Convert.ToHexString(HMACSHA256.HashData(_hmacKey, Encoding.UTF8.GetBytes(username + "\0" + password)));
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
