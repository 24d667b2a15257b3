using Microsoft.Extensions.DependencyInjection;

namespace Registry.Grains.Tests;

/// <summary>The conformance tests on the embedded SQLite store, one new file per test.</summary>
public sealed class SqliteMetadataStoreTests : MetadataStoreConformanceTests
{
    private readonly TempDirectory _dir = new();

    protected override Task ConfigureAsync(IServiceCollection services)
    {
        services.AddSqliteMetadata(_dir.Path);
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }
}
