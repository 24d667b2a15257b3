namespace Registry.Api.Management;

public static class OpenApiSetup
{
    public static IServiceCollection AddManagementOpenApi(this IServiceCollection services) => services;

    public static WebApplication MapManagementOpenApi(this WebApplication app) => app;
}
