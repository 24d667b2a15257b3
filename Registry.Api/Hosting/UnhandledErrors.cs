using Microsoft.AspNetCore.Diagnostics;
using Registry.Api.Management;
using Registry.Api.Oci;

namespace Registry.Api.Hosting;

/// <summary>
/// The last resort for an exception that no endpoint turned into an answer (one thrown while a
/// result is written, or while a handler's services are resolved): the OCI error shape under
/// <c>/v2</c>, Harbor's everywhere else, with a trace id and never a stack trace, in every
/// environment. In Development WebApplication puts the developer exception page in front of
/// the pipeline; this handler sits inside it and answers first.
/// </summary>
public static class UnhandledErrors
{
    public static WebApplication UseUnhandledErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteAsync });
        return app;
    }

    private static async Task WriteAsync(HttpContext context)
    {
        var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var unavailable = exception is null ? null : OciFailures.Unavailable(exception);
        if (context.Request.Path.StartsWithSegments("/v2"))
        {
            context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
            await OciFailures.WriteAsync(context, unavailable);
            return;
        }
        if (exception is BadHttpRequestException bad) // a request Kestrel refused (a body too large, cut off): its status, not a 500
        {
            await Harbor.WriteAsync(context, bad.StatusCode, Harbor.CodeFor(bad.StatusCode), "invalid request: the body or a parameter could not be read");
            return;
        }
        await Harbor.WriteFailureAsync(context, unavailable);
    }
}
