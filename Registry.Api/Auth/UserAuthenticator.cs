using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Registry.Grains.Metadata;

namespace Registry.Api.Auth;

/// <summary>
/// Checks a username and password. A verified pair is remembered briefly (keyed by a hash of both,
/// never the password itself) so PBKDF2 is not recomputed for every request of a push.
/// </summary>
public sealed class UserAuthenticator(IAccountStore accounts, IMemoryCache cache)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(2);
    private static readonly string DummyHash = PasswordHasher.Hash(Guid.NewGuid().ToString());

    public async Task<Caller?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        var key = "cred:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(username + "\0" + password)));
        if (cache.TryGetValue(key, out Caller? cached)) return cached;
        var user = await accounts.GetUserAsync(username, cancellationToken);
        // An unknown user costs a full hash too, so timing does not tell which names exist.
        if (!PasswordHasher.Verify(password, user?.PasswordHash ?? DummyHash) || user is null) return null;
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
}
