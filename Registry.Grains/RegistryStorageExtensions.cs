using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Metadata;
using Registry.Grains.Storage;

namespace Registry.Grains;

/// <summary>Registers the embedded profile's metadata store (SQLite) and blob store (filesystem) under one data path.</summary>
public static class RegistryStorageExtensions
{
    public static IServiceCollection AddEmbeddedStorage(this IServiceCollection services, string dataPath)
    {
        var root = Path.GetFullPath(dataPath);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => new SqliteDatabase(Path.Combine(root, "registry.db")));
        services.AddSingleton<SqliteRepositoryStore>();
        services.AddSingleton<IRepositoryStore>(sp => sp.GetRequiredService<SqliteRepositoryStore>());
        services.AddSingleton<IListingStore>(sp => sp.GetRequiredService<SqliteRepositoryStore>());
        services.AddSingleton<SqliteAccountStore>();
        services.AddSingleton<IAccountStore>(sp => sp.GetRequiredService<SqliteAccountStore>());
        services.AddSingleton<IUploadStore>(sp => sp.GetRequiredService<SqliteAccountStore>());
        services.AddSingleton<IBlobStore>(_ => new CheckedBlobStore(new FileSystemBlobStore(root)));
        return services;
    }
}
