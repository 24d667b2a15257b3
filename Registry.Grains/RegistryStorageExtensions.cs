using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Registry.Grains.Metadata;
using Registry.Grains.Storage;

namespace Registry.Grains;

/// <summary>
/// Registers the metadata store and the blob store. Each is chosen on its own: the embedded
/// drivers (SQLite, filesystem under one data path) or the distributed ones (PostgreSQL, Azure Blob).
/// </summary>
public static class RegistryStorageExtensions
{
    /// <summary>Metadata in one SQLite file under <paramref name="dataPath"/>.</summary>
    public static IServiceCollection AddSqliteMetadata(this IServiceCollection services, string dataPath)
    {
        var root = Path.GetFullPath(dataPath);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => new SqliteDatabase(Path.Combine(root, "registry.db")));
        services.AddSingleton<IMetadataDatabase>(sp => sp.GetRequiredService<SqliteDatabase>());
        services.AddSingleton<SqliteRepositoryStore>();
        services.AddSingleton<IRepositoryStore>(sp => sp.GetRequiredService<SqliteRepositoryStore>());
        services.AddSingleton<IListingStore>(sp => sp.GetRequiredService<SqliteRepositoryStore>());
        services.AddSingleton<SqliteAccountStore>();
        services.AddSingleton<IAccountStore>(sp => sp.GetRequiredService<SqliteAccountStore>());
        services.AddSingleton<IUploadStore>(sp => sp.GetRequiredService<SqliteAccountStore>());
        services.AddSingleton<IIdentityStore>(sp => new SqlIdentityStore(new SqliteSession(sp.GetRequiredService<SqliteDatabase>()), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IArtifactQueries>(sp => new SqlArtifactQueries(new SqliteSession(sp.GetRequiredService<SqliteDatabase>())));
        services.AddSingleton<IOutbox>(sp => new SqlOutbox(new SqliteSession(sp.GetRequiredService<SqliteDatabase>())));
        services.AddSingleton<IGovernanceStore>(sp => new SqlGovernanceStore(new SqliteSession(sp.GetRequiredService<SqliteDatabase>()), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IRecycleBinStore>(sp => new SqlRecycleBinStore(new SqliteSession(sp.GetRequiredService<SqliteDatabase>())));
        services.AddSingleton<IGcStore>(sp => new SqlGcStore(new SqliteSession(sp.GetRequiredService<SqliteDatabase>()), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ILabelStore>(sp => new SqlLabelStore(new SqliteSession(sp.GetRequiredService<SqliteDatabase>())));
        services.AddSingleton<IRetentionStore>(sp => new SqlRetentionStore(new SqliteSession(sp.GetRequiredService<SqliteDatabase>())));
        services.AddSingleton<IWebhookStore>(sp => new SqlWebhookStore(new SqliteSession(sp.GetRequiredService<SqliteDatabase>())));
        services.AddSingleton<IAuditPurgeStore>(sp => new SqlAuditPurgeStore(new SqliteSession(sp.GetRequiredService<SqliteDatabase>())));
        return services;
    }

    /// <summary>
    /// Metadata in the PostgreSQL database <paramref name="connectionString"/> names, shared by every
    /// node; a pool of at most <see cref="PostgresDatabase.DefaultMaxPoolSize"/> connections per node
    /// unless the connection string sets <c>Maximum Pool Size</c>.
    /// </summary>
    public static IServiceCollection AddPostgresMetadata(this IServiceCollection services, string connectionString)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(_ => new PostgresDatabase(connectionString));
        services.AddSingleton<IMetadataDatabase>(sp => sp.GetRequiredService<PostgresDatabase>());
        services.AddSingleton<PostgresRepositoryStore>();
        services.AddSingleton<IRepositoryStore>(sp => sp.GetRequiredService<PostgresRepositoryStore>());
        services.AddSingleton<IListingStore>(sp => sp.GetRequiredService<PostgresRepositoryStore>());
        services.AddSingleton<PostgresAccountStore>();
        services.AddSingleton<IAccountStore>(sp => sp.GetRequiredService<PostgresAccountStore>());
        services.AddSingleton<IUploadStore>(sp => sp.GetRequiredService<PostgresAccountStore>());
        services.AddSingleton<IIdentityStore>(sp => new SqlIdentityStore(new PostgresSession(sp.GetRequiredService<PostgresDatabase>()), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IArtifactQueries>(sp => new SqlArtifactQueries(new PostgresSession(sp.GetRequiredService<PostgresDatabase>())));
        services.AddSingleton<IOutbox>(sp => new SqlOutbox(new PostgresSession(sp.GetRequiredService<PostgresDatabase>())));
        services.AddSingleton<IGovernanceStore>(sp => new SqlGovernanceStore(new PostgresSession(sp.GetRequiredService<PostgresDatabase>()), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IRecycleBinStore>(sp => new SqlRecycleBinStore(new PostgresSession(sp.GetRequiredService<PostgresDatabase>())));
        services.AddSingleton<IGcStore>(sp => new SqlGcStore(new PostgresSession(sp.GetRequiredService<PostgresDatabase>()), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ILabelStore>(sp => new SqlLabelStore(new PostgresSession(sp.GetRequiredService<PostgresDatabase>())));
        services.AddSingleton<IRetentionStore>(sp => new SqlRetentionStore(new PostgresSession(sp.GetRequiredService<PostgresDatabase>())));
        services.AddSingleton<IWebhookStore>(sp => new SqlWebhookStore(new PostgresSession(sp.GetRequiredService<PostgresDatabase>())));
        services.AddSingleton<IAuditPurgeStore>(sp => new SqlAuditPurgeStore(new PostgresSession(sp.GetRequiredService<PostgresDatabase>())));
        return services;
    }

    /// <summary>Blobs and uploads as files under <paramref name="dataPath"/>.</summary>
    public static IServiceCollection AddFileSystemBlobs(this IServiceCollection services, string dataPath)
    {
        var root = Path.GetFullPath(dataPath);
        services.AddSingleton<IBlobStore>(_ => new CheckedBlobStore(new FileSystemBlobStore(root)));
        return services;
    }

    /// <summary>The embedded profile: SQLite and the filesystem under one data path.</summary>
    public static IServiceCollection AddEmbeddedStorage(this IServiceCollection services, string dataPath) =>
        services.AddSqliteMetadata(dataPath).AddFileSystemBlobs(dataPath);
}
