using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Metadata;

namespace Registry.Grains.Tests;

/// <summary>The identity store conformance tests on PostgreSQL, a new database for every one the tests ask for.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresIdentityStoreTests(PostgresFixture postgres) : IdentityStoreConformanceTests
{
    protected override async Task ConfigureAsync(IServiceCollection services) =>
        services.AddPostgresMetadata(await postgres.CreateDatabaseAsync());

    protected override Task ApplyOldMigrationsAsync(IServiceProvider services, int migrations, string seedSql) =>
        services.GetRequiredService<PostgresDatabase>().WriteAsync(async (c, tx) =>
        {
            // As PostgresDatabase.MigrateAsync records them.
            await PostgresDatabase.ExecuteAsync(c, tx, "CREATE TABLE schema_migrations (version int PRIMARY KEY, applied_at bigint NOT NULL)", default);
            for (var i = 0; i < migrations; i++)
            {
                await PostgresDatabase.ExecuteAsync(c, tx, PostgresSchema.Migrations[i], default);
                await PostgresDatabase.ExecuteAsync(c, tx, "INSERT INTO schema_migrations (version, applied_at) VALUES (@v, 0)", default, ("@v", i + 1));
            }
            return await PostgresDatabase.ExecuteAsync(c, tx, seedSql, default);
        });
}
