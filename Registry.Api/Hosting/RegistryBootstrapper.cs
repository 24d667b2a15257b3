using Microsoft.Extensions.Options;
using Registry.Api.Auth;
using Registry.Grains.Metadata;

namespace Registry.Api.Hosting;

/// <summary>
/// Runs before the silo and Kestrel start: applies metadata migrations, loads the token signing
/// key (creating it on the first start of the cluster) and creates the admin on
/// first start. Without a configured password one is generated and printed exactly once; only
/// its hash is stored.
/// </summary>
public sealed class RegistryBootstrapper(IMetadataDatabase database, IAccountStore accounts, TokenKeys keys, IOptions<RegistryOptions> options, ILogger<RegistryBootstrapper> logger) : IHostedService
{
    public const string AdminUser = "admin";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await database.MigrateAsync(cancellationToken);
        await keys.LoadAsync(accounts, options.Value.DataPath, cancellationToken);
        if (await accounts.GetUserAsync(AdminUser, cancellationToken) is not null) return;
        var configured = options.Value.AdminPassword;
        var password = string.IsNullOrEmpty(configured) ? PasswordHasher.Generate() : configured;
        if (!await accounts.TryCreateUserAsync(AdminUser, PasswordHasher.Hash(password), sysAdmin: true, cancellationToken)) return;
        if (string.IsNullOrEmpty(configured))
        {
            Console.WriteLine($"""

                ================================================================
                 Registry: generated the initial password for user '{AdminUser}':
                     {password}
                 It is shown only this once. Set Registry:AdminPassword to choose it.
                ================================================================

                """);
        }
        logger.LogInformation("Created user {User} in {Database}", AdminUser, database.Describe());
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
