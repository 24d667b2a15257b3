using Microsoft.Extensions.Options;
using Registry.Api.Hosting;
using Registry.Api.Oci;
using Registry.Grains.Abstractions;

namespace Registry.Api.Auth;

/// <summary>
/// Turns a request's <c>Authorization</c> header into a <see cref="Caller"/> (Basic, Bearer or
/// anonymous) and writes the challenge that sends Docker clients to the token service.
/// </summary>
public sealed class RequestAuthenticator(UserAuthenticator users, TokenService tokens, IOptions<RegistryOptions> options)
{
    /// <summary>The caller, or null when credentials were presented and are wrong.</summary>
    public async Task<Caller?> IdentifyAsync(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return Caller.Anonymous;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return await tokens.ValidateAsync(header[7..].Trim());
        if (UserAuthenticator.ParseBasic(header) is { } basic)
            return await users.AuthenticateAsync(basic.User, basic.Password, context.RequestAborted);
        return null;
    }

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
}
