using Microsoft.Extensions.Options;
using Registry.Api.Hosting;
using Registry.Api.Management;
using Registry.Api.Oci;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Api.Auth;

/// <summary>Who a request is from: a caller, or why there is none.</summary>
/// <param name="Caller">Null when credentials were presented and are wrong, or the client is throttled.</param>
/// <param name="RetryAfterSeconds">Set when the username and client address have failed too often.</param>
public sealed record Identification(Caller? Caller, int? RetryAfterSeconds = null);

/// <summary>
/// Turns a request's <c>Authorization</c> header into a <see cref="Caller"/> (Basic, Bearer or
/// anonymous), applies the login throttle, and writes the challenge that sends Docker clients to
/// the token service.
/// </summary>
public sealed class RequestAuthenticator(
    UserAuthenticator users, TokenService tokens, LoginThrottle throttle, AuditLog audit, IOptions<RegistryOptions> options)
{
    public async Task<Identification> IdentifyAsync(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return new(Caller.Anonymous);
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return new(await tokens.ValidateAsync(header[7..].Trim()));
        if (UserAuthenticator.ParseBasic(header) is { } basic)
            return await SignInAsync(context, basic.User, basic.Password, auditSuccess: false);
        return new(null);
    }

    /// <summary>
    /// Checks a username and password under the throttle. Failures are always audited; successes
    /// when <paramref name="auditSuccess"/> (a login proper, not every request of a Basic client).
    /// </summary>
    public async Task<Identification> SignInAsync(HttpContext context, string username, string password, bool auditSuccess)
    {
        var address = context.Connection.RemoteIpAddress?.ToString();
        if (await throttle.RetryAfterAsync(username, address) is { } wait) return new(null, wait);
        var caller = await users.AuthenticateAsync(username, password, context.RequestAborted);
        if (caller is null)
        {
            await throttle.RecordFailureAsync(username, address);
            await audit.RecordAsync(Truncate(username), null, "login", "user", "login", success: false);
            return new(null);
        }
        if (auditSuccess) await audit.RecordAsync(caller.Username!, null, "login", "user", "login");
        return new(caller);
    }

    /// <summary>
    /// The management API judges a bearer caller by what its subject may do now, not by the
    /// token's repository grants: the user or robot named by the token, if it still exists and may
    /// still sign in.
    /// </summary>
    public async Task<Caller?> SubjectOfAsync(Caller tokenCaller, CancellationToken cancellationToken) =>
        tokenCaller.Username is { } name ? await users.AccountAsync(name, cancellationToken) : Caller.Anonymous;

    /// <summary>401 with <c>WWW-Authenticate: Bearer realm=…,service=…[,scope=…]</c>.</summary>
    public Task ChallengeAsync(HttpContext context, string? scope, bool insufficientScope = false, string? detail = null)
    {
        var realm = options.Value.TokenRealm ?? $"{context.Request.Scheme}://{context.Request.Host}/service/token";
        var challenge = $"Bearer realm=\"{realm}\",service=\"{options.Value.TokenService}\"";
        if (scope is not null) challenge += $",scope=\"{scope}\"";
        if (insufficientScope) challenge += ",error=\"insufficient_scope\"";
        context.Response.Headers.WWWAuthenticate = challenge;
        return OciErrors.WriteAsync(context, OciErrorCode.Unauthorized, detail);
    }

    private static string Truncate(string name) => name.Length > 64 ? name[..64] : name;
}
