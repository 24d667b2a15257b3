using Registry.Api.Management;

namespace Registry.Api.Webhooks;

/// <summary>Registers webhook delivery and the audit-log purge (both run on every node; the database arbitrates).</summary>
public static class WebhookHosting
{
    public static IServiceCollection AddWebhooksAndAuditPurge(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<WebhookOptions>(configuration.GetSection("Registry:Webhooks"));
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddSingleton<AuditPurgeService>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditPurgeService>());
        return services;
    }
}
