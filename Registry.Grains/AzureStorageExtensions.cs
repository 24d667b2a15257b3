using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Storage;

namespace Registry.Grains;

/// <summary>Registers the Azure Blob Storage driver for blobs and uploads.</summary>
public static class AzureStorageExtensions
{
    /// <summary>
    /// Blobs and uploads in <paramref name="container"/> of the account that
    /// <paramref name="connectionString"/> names. The driver itself is registered too, so a start-up
    /// check can call <see cref="AzureBlobStore.EnsureReadyAsync"/> and report <see cref="AzureBlobStore.Describe"/>.
    /// </summary>
    public static IServiceCollection AddAzureBlobs(this IServiceCollection services, string connectionString, string container = "registry")
    {
        services.AddSingleton(_ => new AzureBlobStore(connectionString, container));
        services.AddSingleton<IBlobStore>(sp => new CheckedBlobStore(sp.GetRequiredService<AzureBlobStore>()));
        return services;
    }
}
