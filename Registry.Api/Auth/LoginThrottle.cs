using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using StackExchange.Redis;

namespace Registry.Api.Auth;

/// <summary>
/// Brute-force protection: after <see cref="MaxFailures"/> failed logins for one username from one
/// client address within <see cref="Window"/> (counted from the first failure), further attempts of
/// that pair are refused (429) until the window has passed, whether or not the password is right.
/// Other addresses and other users are not affected, so an attacker cannot lock a user out from
/// everywhere.
/// <para>
/// In a cluster (Redis configured) the count is shared, so N nodes do not allow N times the tries.
/// Each node also counts on its own, and a node that cannot reach Redis goes by its own count: an
/// outage loosens the limit to per node, never lifts it.
/// </para>
/// </summary>
public sealed class LoginThrottle(IMemoryCache cache, TimeProvider clock, ILogger<LoginThrottle> logger,
    [FromKeyedServices(Hosting.BackingServices.RedisServiceKey)] IConnectionMultiplexer? redis = null)
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    /// <summary>Counts a failure and starts the window with the first one, in one step.</summary>
    private const string IncrementScript = """
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return n
        """;

    private sealed class Counter
    {
        public int Failures;
        public DateTimeOffset Until;
    }

    /// <summary>A hash, so that hostile usernames make neither long keys nor key patterns.</summary>
    private static string Key(string username, string? address) =>
        "login-fail:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{username.ToLowerInvariant()}\0{address}")));

    private static RedisKey SharedKey(string key) => "registry:" + key;

    /// <summary>Seconds until the pair may try again, or null when it may try now.</summary>
    public async ValueTask<int?> RetryAfterAsync(string username, string? address)
    {
        var key = Key(username, address);
        var local = LocalRetryAfter(key);
        if (local is not null || redis is null) return local;
        try
        {
            var shared = await redis.GetDatabase().StringGetWithExpiryAsync(SharedKey(key));
            if (shared.Value.TryParse(out long failures) && failures >= MaxFailures && shared.Expiry is { } left && left > TimeSpan.Zero)
                return (int)Math.Ceiling(left.TotalSeconds);
            return null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Login throttle: Redis unreachable, going by this node's count");
            return null;
        }
    }

    public async ValueTask RecordFailureAsync(string username, string? address)
    {
        var key = Key(username, address);
        var counter = cache.GetOrCreate(key, entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = Window;
            return new Counter { Until = clock.GetUtcNow() + Window };
        })!;
        lock (counter) counter.Failures++;
        if (redis is null) return;
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(IncrementScript, [SharedKey(key)], [(long)Window.TotalMilliseconds]);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Login throttle: Redis unreachable, the failure counts on this node only");
        }
    }

    private int? LocalRetryAfter(string key)
    {
        if (!cache.TryGetValue(key, out Counter? counter) || counter is null) return null;
        lock (counter)
        {
            var left = counter.Until - clock.GetUtcNow();
            return counter.Failures >= MaxFailures && left > TimeSpan.Zero ? (int)Math.Ceiling(left.TotalSeconds) : null;
        }
    }
}
