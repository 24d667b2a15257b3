using System.Text.Json.Serialization;
using Microsoft.Extensions.Primitives;
using Registry.Api.Management;

namespace Registry.Api.Auth;

/// <summary>
/// The Docker token service (<c>/service/token</c>): GET with optional Basic credentials, and the
/// OAuth2 password grant by POST. Grants are what was asked, cut down to what the caller may do
/// now (a user removed from a project or a disabled robot gets nothing more). Logins are audited
/// and throttled per username and client address.
/// </summary>
public static class TokenEndpoints
{
    public static IEndpointRouteBuilder MapTokenEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/service/token", (HttpContext c, RequestAuthenticator a, AccessPolicy p, TokenService t, SystemSettings s) => GuardAsync(c, () => GetTokenAsync(c, a, p, t, s)))
            .ExcludeFromDescription();
        app.MapPost("/service/token", (HttpContext c, RequestAuthenticator a, AccessPolicy p, TokenService t, SystemSettings s) => GuardAsync(c, () => PostTokenAsync(c, a, p, t, s)))
            .ExcludeFromDescription().DisableAntiforgery();
        return app;
    }

    /// <summary>An outage (the metadata store, the directory) is a 503 the client may retry, not a 500.</summary>
    private static async Task GuardAsync(HttpContext context, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (Oci.OciFailures.Unavailable(e) is { } component && !context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = Oci.OciFailures.RetryAfterSeconds.ToString();
            await context.Response.WriteAsJsonAsync(new { errors = new[] { new { code = "UNAVAILABLE", message = $"{component} unavailable; retry" } } });
        }
    }

    private static async Task GetTokenAsync(HttpContext context, RequestAuthenticator authenticator, AccessPolicy policy, TokenService tokens, SystemSettings settings)
    {
        var caller = Caller.Anonymous;
        if (UserAuthenticator.ParseBasic(context.Request.Headers.Authorization) is { } basic)
        {
            var signIn = await authenticator.SignInAsync(context, basic.User, basic.Password, auditSuccess: true);
            if (signIn.Caller is null) { await RefuseAsync(context, signIn); return; }
            caller = signIn.Caller;
        }
        else if (context.Request.Headers.Authorization.ToString() is var header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // A token for a token (as Docker's refresh tokens): the new one carries what the old one's
            // subject may do now, never what the old one carried. The portal uses this to read manifests.
            var presented = await tokens.ValidateAsync(header[7..].Trim());
            var subject = presented is null ? null : await authenticator.SubjectOfAsync(presented, context.RequestAborted);
            if (subject is null || subject.IsAnonymous) { await UnauthorizedAsync(context, "invalid or expired token"); return; }
            caller = subject;
        }
        else if (!StringValues.IsNullOrEmpty(context.Request.Headers.Authorization))
        {
            await UnauthorizedAsync(context);
            return;
        }
        await IssueAsync(context, caller, context.Request.Query["scope"], policy, tokens, settings);
    }

    private static async Task PostTokenAsync(HttpContext context, RequestAuthenticator authenticator, AccessPolicy policy, TokenService tokens, SystemSettings settings)
    {
        if (!context.Request.HasFormContentType) { await UnauthorizedAsync(context); return; }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form["grant_type"] != "password") { await UnauthorizedAsync(context, "unsupported_grant_type"); return; }
        var signIn = await authenticator.SignInAsync(context, form["username"].ToString(), form["password"].ToString(), auditSuccess: true);
        if (signIn.Caller is null) { await RefuseAsync(context, signIn); return; }
        await IssueAsync(context, signIn.Caller, form["scope"], policy, tokens, settings);
    }

    private static async Task IssueAsync(HttpContext context, Caller caller, StringValues scopes, AccessPolicy policy, TokenService tokens, SystemSettings settings)
    {
        var grants = new List<TokenAccess>();
        foreach (var scope in scopes.SelectMany(s => (s ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)).Take(32))
        {
            if (ParseScope(scope) is not { } parsed) continue;
            if (await policy.GrantAsync(caller, parsed.Type, parsed.Name, parsed.Actions) is { } grant) grants.Add(grant);
        }
        var lifetime = (await settings.GetAsync(context.RequestAborted)).TokenExpirationMinutes * 60;
        var (token, issuedAt) = tokens.Issue(caller.Username, grants, lifetime);
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(new TokenResponse(token, token, lifetime, issuedAt.ToString("O")));
    }

    /// <summary><c>type:name:actions</c>, where the name may itself contain ':' (a registry host with a port).</summary>
    public static (string Type, string Name, string[] Actions)? ParseScope(string scope)
    {
        var first = scope.IndexOf(':');
        var last = scope.LastIndexOf(':');
        if (first <= 0 || last <= first + 1) return null;
        return (scope[..first], scope[(first + 1)..last], scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries));
    }

    private static Task RefuseAsync(HttpContext context, Identification signIn)
    {
        if (signIn.RetryAfterSeconds is not { } wait) return UnauthorizedAsync(context);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = wait.ToString();
        return context.Response.WriteAsJsonAsync(new { errors = new[] { new { code = "TOO_MANY_REQUESTS", message = $"too many failed logins; retry in {wait} s" } } });
    }

    private static async Task UnauthorizedAsync(HttpContext context, string message = "invalid credentials")
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        await context.Response.WriteAsJsonAsync(new { errors = new[] { new { code = "UNAUTHORIZED", message } } });
    }

    private sealed record TokenResponse(
        [property: JsonPropertyName("token")] string Token,
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn,
        [property: JsonPropertyName("issued_at")] string IssuedAt);
}
