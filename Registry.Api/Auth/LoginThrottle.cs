using Microsoft.Extensions.Caching.Memory;

namespace Registry.Api.Auth;

/// <summary>
/// Brute-force protection: after <see cref="MaxFailures"/> failed logins for one username from one
/// client address within <see cref="Window"/>, further attempts of that pair are refused (429)
/// until the window has passed, whether or not the password is right. Other addresses and other
/// users are not affected, so an attacker cannot lock a user out from everywhere.
/// </summary>
public sealed class LoginThrottle(IMemoryCache cache, TimeProvider clock)
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private sealed class Counter
    {
        public int Failures;
        public DateTimeOffset Until;
    }

    private static string Key(string username, string? address) => $"login-fail:{username.ToLowerInvariant()}\0{address}";

    /// <summary>Seconds until the pair may try again, or null when it may try now.</summary>
    public int? RetryAfter(string username, string? address)
    {
        if (!cache.TryGetValue(Key(username, address), out Counter? counter) || counter is null) return null;
        lock (counter)
        {
            var left = counter.Until - clock.GetUtcNow();
            return counter.Failures >= MaxFailures && left > TimeSpan.Zero ? (int)Math.Ceiling(left.TotalSeconds) : null;
        }
    }

    public void RecordFailure(string username, string? address)
    {
        var counter = cache.GetOrCreate(Key(username, address), entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = Window;
            return new Counter { Until = clock.GetUtcNow() + Window };
        })!;
        lock (counter) counter.Failures++;
    }

    public void Reset(string username, string? address) => cache.Remove(Key(username, address));
}
