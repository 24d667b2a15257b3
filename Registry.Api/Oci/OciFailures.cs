using System.Globalization;
using Registry.Grains;
using Registry.Grains.Abstractions;
using StackExchange.Redis;

namespace Registry.Api.Oci;

/// <summary>
/// What an exception escaping a handler means to the client. A backing service or cluster node
/// out of reach is a 503 <c>UNAVAILABLE</c> with <c>Retry-After</c> (the request changed nothing
/// that is visible and may simply be retried); anything else is a 500 <c>UNKNOWN</c>.
/// </summary>
public static class OciFailures
{
    public const int RetryAfterSeconds = 5;

    /// <summary>The component that was out of reach, or null when the failure is not an outage.</summary>
    public static string? Unavailable(Exception exception)
    {
        if (BackingFailures.Classify(exception) is { } component) return component;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException) return "cluster";
            if (e is RedisException) return "cache";
            if (e is Identity.Ldap.LdapUnavailableException) return "directory (LDAP)";
        }

        return null;
    }

    /// <summary>
    /// The OCI answer to a failure: 503 <c>UNAVAILABLE</c> with <c>Retry-After</c> when
    /// <paramref name="unavailable"/> names the component out of reach, else 500 <c>UNKNOWN</c>
    /// naming the request's trace id.
    /// </summary>
    public static Task WriteAsync(HttpContext context, string? unavailable)
    {
        if (unavailable is null) return OciErrors.WriteAsync(context, OciErrorCode.Unknown, context.TraceIdentifier);
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return OciErrors.WriteAsync(context, OciErrorCode.Unavailable, $"{unavailable} unavailable; retry");
    }
}
