using Registry.Api.Auth;
using Registry.Grains.Abstractions;

namespace Registry.Api.Oci;

/// <summary>
/// The distribution API. One catch-all route parses the path into an <see cref="OciRoute"/>,
/// checks access once, and hands the request to the handler of that resource.
/// </summary>
public static class OciApi
{
    public static IEndpointRouteBuilder MapOciApi(this IEndpointRouteBuilder app)
    {
        app.Map("/v2", DispatchAsync).ExcludeFromDescription();
        app.Map("/v2/{**path}", DispatchAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task DispatchAsync(HttpContext context, OciServices s, string? path = null)
    {
        try
        {
            await DispatchCoreAsync(context, s, path);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            await FailAsync(context, s, e);
        }
    }

    private static async Task DispatchCoreAsync(HttpContext context, OciServices s, string? path)
    {
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        if (!OciRoute.TryParse(path ?? "", out var route)) { await OciErrors.WriteAsync(context, OciErrorCode.RouteUnknown, context.Request.Path); return; }
        var identification = await s.Authenticator.IdentifyAsync(context);
        if (identification.RetryAfterSeconds is { } wait)
        {
            context.Response.Headers.RetryAfter = wait.ToString();
            await OciErrors.WriteAsync(context, OciErrorCode.TooManyRequests, $"too many failed logins; retry in {wait} s");
            return;
        }
        if (identification.Caller is not { } caller) { await s.Authenticator.ChallengeAsync(context, null, detail: "invalid credentials"); return; }

        switch (route.Kind)
        {
            case OciRouteKind.Base:
                if (caller.IsAnonymous) { await s.Authenticator.ChallengeAsync(context, null); return; }
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{}");
                return;
            case OciRouteKind.Catalog:
                if (!IsMethod(context, HttpMethods.Get)) { await OciErrors.WriteAsync(context, OciErrorCode.Unsupported); return; }
                if (!AccessPolicy.CanListCatalog(caller)) { await DenyAsync(context, s, caller, "registry:catalog:*", null); return; }
                await ListingEndpoints.CatalogAsync(context, s);
                return;
        }

        if (!RepositoryName.IsValid(route.Name)) { await OciErrors.WriteAsync(context, OciErrorCode.NameInvalid, route.Name); return; }
        if (Handler(context.Request.Method, route.Kind) is not { } handler) { await OciErrors.WriteAsync(context, OciErrorCode.Unsupported); return; }
        var needed = Needed(context.Request.Method, route.Kind);
        var allowed = await s.Policy.AllowedAsync(caller, route.Name);
        if (!allowed.Contains(needed))
        {
            var actions = needed == Actions.Pull ? "pull" : needed == Actions.Push ? "pull,push" : needed;
            await DenyAsync(context, s, caller, $"repository:{route.Name}:{actions}", route.Name);
            return;
        }
        await handler(context, route, s, caller);
    }

    /// <summary>
    /// An exception from a handler: logged, and answered in the OCI error format while the
    /// response has not started; a response already under way can only be cut off.
    /// </summary>
    private static async Task FailAsync(HttpContext context, OciServices s, Exception e)
    {
        var unavailable = OciFailures.Unavailable(e);
        s.Logger.Log(unavailable is null ? LogLevel.Error : LogLevel.Warning, e,
            "{Method} {Path} failed{Reason}", context.Request.Method, context.Request.Path, unavailable is null ? "" : $": {unavailable} unavailable");
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        await OciFailures.WriteAsync(context, unavailable);
    }

    private delegate Task OciHandler(HttpContext context, OciRoute route, OciServices s, Caller caller);

    private static OciHandler? Handler(string method, OciRouteKind kind) => (kind, method) switch
    {
        (OciRouteKind.Manifest, "GET" or "HEAD") => (c, r, s, caller) => ManifestEndpoints.GetAsync(c, r, s, caller),
        (OciRouteKind.Manifest, "PUT") => ManifestEndpoints.PutAsync,
        (OciRouteKind.Manifest, "DELETE") => ManifestEndpoints.DeleteAsync,
        (OciRouteKind.Blob, "GET" or "HEAD") => (c, r, s, _) => BlobEndpoints.GetAsync(c, r, s),
        (OciRouteKind.Blob, "DELETE") => (c, r, s, caller) => BlobEndpoints.DeleteAsync(c, r, s, caller),
        (OciRouteKind.UploadStart, "POST") => UploadEndpoints.StartAsync,
        (OciRouteKind.Upload, "GET") => (c, r, s, _) => UploadEndpoints.StatusAsync(c, r, s),
        (OciRouteKind.Upload, "PATCH") => (c, r, s, _) => UploadEndpoints.PatchAsync(c, r, s),
        (OciRouteKind.Upload, "PUT") => (c, r, s, _) => UploadEndpoints.CompleteAsync(c, r, s),
        (OciRouteKind.Upload, "DELETE") => (c, r, s, _) => UploadEndpoints.CancelAsync(c, r, s),
        (OciRouteKind.Tags, "GET") => (c, r, s, _) => ListingEndpoints.TagsAsync(c, r, s),
        (OciRouteKind.Referrers, "GET") => (c, r, s, _) => ReferrerEndpoints.GetAsync(c, r, s),
        _ => null,
    };

    private static string Needed(string method, OciRouteKind kind) => kind switch
    {
        OciRouteKind.UploadStart or OciRouteKind.Upload => Actions.Push,
        _ when HttpMethods.IsGet(method) || HttpMethods.IsHead(method) => Actions.Pull,
        _ when HttpMethods.IsDelete(method) => Actions.Delete,
        _ => Actions.Push,
    };

    /// <summary>
    /// Anonymous and token callers are challenged (they can get a better token); a signed-in user
    /// who lacks the right is denied, or told the project does not exist.
    /// </summary>
    private static async Task DenyAsync(HttpContext context, OciServices s, Caller caller, string scope, string? repository)
    {
        if (caller.IsAnonymous || caller.HasToken)
        {
            await s.Authenticator.ChallengeAsync(context, scope, insufficientScope: caller.HasToken);
            return;
        }
        if (repository is not null && !await s.Policy.ProjectExistsAsync(repository))
        {
            await OciErrors.WriteAsync(context, OciErrorCode.NameUnknown, $"project {RepositoryName.ProjectOf(repository)} not found");
            return;
        }
        await OciErrors.WriteAsync(context, OciErrorCode.Denied, scope);
    }

    private static bool IsMethod(HttpContext context, string method) =>
        string.Equals(context.Request.Method, method, StringComparison.OrdinalIgnoreCase) || HttpMethods.IsHead(context.Request.Method);
}
