using System.Globalization;
using FluentValidation;
using Registry.Api.Auth;
using Registry.Api.Identity.Ldap;
using Registry.Api.Oci;
using Registry.Grains.Abstractions;
using Registry.Api.Webhooks;
using Registry.Grains.Metadata;

namespace Registry.Api.Management;

/// <summary>
/// Harbor's management API at <c>/api/v2.0</c>. One endpoint filter identifies the caller (Basic,
/// or a bearer token judged by what its subject may do now), validates request bodies with their
/// FluentValidation validator, and turns <see cref="HarborException"/> and outages into Harbor's
/// error shape; handlers only do their work.
/// </summary>
public static class ManagementApi
{
    public const string Prefix = "/api/v2.0";

    public static WebApplicationBuilder AddManagementApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<SystemSettings>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<LoginThrottle>();
        services.AddLdap();
        services.AddValidatorsFromAssemblyContaining<AuditLog>(ServiceLifetime.Singleton);
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = ManagementJson.Options.PropertyNamingPolicy;
            o.SerializerOptions.DefaultIgnoreCondition = ManagementJson.Options.DefaultIgnoreCondition;
        });
        // Bodies that do not bind are a 400 in every environment (Development would throw instead),
        // which the status-code page below turns into Harbor's error shape.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        services.AddManagementOpenApi();
        services.AddWebhooksAndAuditPurge(builder.Configuration);
        return builder;
    }

    public static WebApplication MapManagementApi(this WebApplication app)
    {
        // Bodies that fail to bind (bad JSON, wrong types) and unknown paths under the prefix get
        // Harbor's error shape too, not an empty 400/404.
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            if (!http.Request.Path.StartsWithSegments(Prefix) || http.Response.HasStarted) return;
            var status = http.Response.StatusCode;
            var message = status switch
            {
                400 => "invalid request: the body or a parameter could not be read",
                404 => $"no such endpoint: {http.Request.Method} {http.Request.Path}",
                405 => $"method {http.Request.Method} not allowed on {http.Request.Path}",
                415 => "the body must be application/json",
                _ => "request failed",
            };
            await Harbor.WriteAsync(http, status, Harbor.CodeFor(status), message);
        });

        var api = app.MapGroup(Prefix).AddEndpointFilter<HarborFilter>().WithTags("Harbor API");
        api.MapSystemEndpoints();
        api.MapProjectEndpoints();
        api.MapMemberEndpoints();
        api.MapUserEndpoints();
        api.MapRobotEndpoints();
        api.MapRepositoryEndpoints();
        api.MapAuditEndpoints();
        api.MapConfigurationEndpoints();
        api.MapQuotaEndpoints();
        api.MapImmutableTagRuleEndpoints();
        api.MapRecycleBinEndpoints();
        api.MapGcEndpoints();
        api.MapLabelEndpoints();
        api.MapRetentionEndpoints();
        api.MapWebhookEndpoints();
        api.MapPurgeAuditEndpoints();
        app.MapManagementOpenApi();
        return app;
    }

    /// <summary>The caller the filter identified.</summary>
    public static Caller Caller(this HttpContext context) =>
        context.Items[typeof(Caller)] as Caller ?? throw new InvalidOperationException("the management filter did not run");

    /// <summary>401 for anonymous callers.</summary>
    public static Caller SignedIn(this HttpContext context)
    {
        var caller = context.Caller();
        return caller.IsAnonymous ? throw Harbor.Unauthorized() : caller;
    }

    /// <summary>401 for anonymous callers, 403 for everyone else.</summary>
    public static HarborException Denied(this Caller caller, string what) =>
        caller.IsAnonymous ? Harbor.Unauthorized() : Harbor.Forbidden($"not allowed to {what}");

    /// <summary>System admins (and robots with the system permission) only.</summary>
    public static Caller RequireSystem(this HttpContext context, string resource, string action)
    {
        var caller = context.Caller();
        return AccessPolicy.CanOnSystem(caller, resource, action) ? caller : throw caller.Denied($"{action} {resource}");
    }

    /// <summary>
    /// A project named by name or id (Harbor's <c>project_name_or_id</c>: digits are an id unless
    /// <c>X-Is-Resource-Name: true</c>), with the caller's standing in it; 404 when there is none or
    /// the caller may not read it (401 for anonymous callers), so ids of others' projects reveal nothing.
    /// </summary>
    public static async Task<ProjectAccess> ProjectAsync(this HttpContext context, string nameOrId, bool isName = false)
    {
        var s = context.RequestServices;
        var name = nameOrId;
        isName |= string.Equals(context.Request.Headers["X-Is-Resource-Name"], "true", StringComparison.OrdinalIgnoreCase);
        if (!isName && long.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            var record = await s.GetRequiredService<IIdentityStore>().GetProjectByIdAsync(id, context.RequestAborted);
            name = record?.Name ?? throw Harbor.NotFound($"project {nameOrId} not found");
        }
        var caller = context.Caller();
        var access = await s.GetRequiredService<AccessPolicy>().ProjectAsync(caller, name) ?? throw Harbor.NotFound($"project {nameOrId} not found");
        if (access.Can(Rbac.Resources.Project, Rbac.Verbs.Read)) return access;
        // Anonymous callers are asked to sign in; to anyone else a project they may not see does not exist.
        throw caller.IsAnonymous ? Harbor.Unauthorized() : Harbor.NotFound($"project {nameOrId} not found");
    }

    /// <summary>Throws 401/403 unless the caller may do <paramref name="action"/> on <paramref name="resource"/> in the project.</summary>
    public static void Require(this HttpContext context, ProjectAccess access, string resource, string action)
    {
        if (!access.Can(resource, action)) throw context.Caller().Denied($"{action} {resource} in project {access.Project.Name}");
    }

    /// <summary>201 with <c>Location</c>, as Harbor answers creations.</summary>
    public static IResult Created(this HttpContext context, string location)
    {
        context.Response.Headers.Location = location;
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    private sealed class HarborFilter(RequestAuthenticator authenticator, TokenService tokens, ILogger<HarborFilter> logger) : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
        {
            var context = invocation.HttpContext;
            try
            {
                context.Items[typeof(Caller)] = await IdentifyAsync(context);
                foreach (var argument in invocation.Arguments)
                {
                    if (argument is null || argument is HttpContext || argument.GetType().IsPrimitive || argument is string) continue;
                    if (context.RequestServices.GetService(typeof(IValidator<>).MakeGenericType(argument.GetType())) is not IValidator validator) continue;
                    var result = await validator.ValidateAsync(new ValidationContext<object>(argument), context.RequestAborted);
                    if (!result.IsValid) throw Harbor.BadRequest(string.Join("; ", result.Errors.Select(e => e.ErrorMessage).Distinct()));
                }
                return await next(invocation);
            }
            catch (HarborException e)
            {
                if (e.Status == 429) context.Response.Headers.RetryAfter = e.Data["retry-after"]?.ToString();
                await Harbor.WriteAsync(context, e.Status, e.Code, e.Message);
                return Results.Empty;
            }
            catch (ImmutableTagException e)
            {
                // Harbor answers a delete of an immutable artifact or tag with 412.
                await Harbor.WriteAsync(context, 412, "PRECONDITION", e.Message);
                return Results.Empty;
            }
            catch (Exception e) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                var unavailable = OciFailures.Unavailable(e);
                logger.Log(unavailable is null ? LogLevel.Error : LogLevel.Warning, e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                await Harbor.WriteFailureAsync(context, unavailable);
                return Results.Empty;
            }
        }

        private async Task<Caller> IdentifyAsync(HttpContext context)
        {
            string? header = context.Request.Headers.Authorization;
            if (string.IsNullOrEmpty(header)) return Auth.Caller.Anonymous;
            if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                var token = await tokens.ValidateAsync(header[7..].Trim());
                return (token is null ? null : await authenticator.SubjectOfAsync(token, context.RequestAborted))
                    ?? throw Harbor.Unauthorized("invalid or expired token");
            }
            if (UserAuthenticator.ParseBasic(header) is { } basic)
            {
                var signIn = await authenticator.SignInAsync(context, basic.User, basic.Password, auditSuccess: false);
                if (signIn.RetryAfterSeconds is { } wait)
                {
                    var e = new HarborException(429, "TOO_MANY_REQUESTS", $"too many failed logins; retry in {wait} s");
                    e.Data["retry-after"] = wait;
                    throw e;
                }
                return signIn.Caller ?? throw Harbor.Unauthorized("invalid credentials");
            }
            throw Harbor.Unauthorized("unsupported authorization scheme");
        }
    }
}
