using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Metadata;

namespace Registry.Grains.Tests;

/// <summary>The identity store conformance tests on SQLite, a new file for every database the tests ask for.</summary>
public sealed class SqliteIdentityStoreTests : IdentityStoreConformanceTests
{
    private readonly List<TempDirectory> _dirs = [];

    protected override Task ConfigureAsync(IServiceCollection services)
    {
        var dir = new TempDirectory();
        _dirs.Add(dir);
        services.AddSqliteMetadata(dir.Path);
        return Task.CompletedTask;
    }

    protected override Task ApplyOldMigrationsAsync(IServiceProvider services, int migrations, string seedSql) =>
        services.GetRequiredService<SqliteDatabase>().WriteAsync(async (c, tx) =>
        {
            foreach (var migration in SqliteSchema.Migrations.Take(migrations)) await SqliteDatabase.ExecuteAsync(c, tx, migration, default);
            await SqliteDatabase.ExecuteAsync(c, tx, $"PRAGMA user_version = {migrations};", default);
            return await SqliteDatabase.ExecuteAsync(c, tx, seedSql, default);
        });

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var dir in _dirs) dir.Dispose();
    }
}
