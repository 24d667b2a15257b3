using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Registry.Api.Management;

/// <summary>
/// The OpenAPI document of the management API, generated from the endpoints at
/// <c>/openapi/v1.json</c>, with Basic and Bearer security schemes, and the Scalar UI at <c>/scalar</c>.
/// </summary>
public static class OpenApiSetup
{
    public static IServiceCollection AddManagementOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Registry API (Harbor v2.0 compatible)",
                    Version = "v2.0",
                    Description = "Projects, members, users, robot accounts, repositories and artifacts, audit logs and configuration, at /api/v2.0.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    ["basic"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "basic", Description = "A user's name and password, or a robot account's name and secret." },
                    ["bearer"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT", Description = "A token from /service/token." },
                };
                document.Security =
                [
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("basic", document)] = [] },
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] },
                ];
                return Task.CompletedTask;
            });
        });

    public static WebApplication MapManagementOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/scalar", options => options.WithTitle("Registry API"));
        return app;
    }
}
