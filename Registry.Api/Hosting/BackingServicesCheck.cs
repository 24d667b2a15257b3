using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using Npgsql;
using Registry.Grains.Storage;
using StackExchange.Redis;

namespace Registry.Api.Hosting;

/// <summary>
/// Runs first at start: every backing service the configuration names must answer within
/// <see cref="RegistryOptions.StartupWaitSeconds"/>, or the node stops with an error naming the
/// configuration key and the address it tried. A node started a little before its database waits
/// for it; a node pointed at the wrong place never starts on embedded storage instead.
/// </summary>
public sealed class BackingServicesCheck(IConfiguration configuration, IServiceProvider provider, IOptions<RegistryOptions> options, ILogger<BackingServicesCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var services = BackingServices.From(configuration);
        var wait = TimeSpan.FromSeconds(Math.Max(1, options.Value.StartupWaitSeconds));
        var checks = new List<Task>();
        if (services.RegistryDb is { } db) checks.Add(WaitAsync(BackingServices.RegistryDbKey, PostgresAddress(db), ct => CheckPostgresAsync(db, ct), wait, cancellationToken));
        if (services.Redis is { } redis) checks.Add(WaitAsync(BackingServices.RedisKey, RedisAddress(redis), ct => CheckRedisAsync(redis, ct), wait, cancellationToken));
        if (services.Blobs is { } blobs) checks.Add(WaitAsync(BackingServices.BlobsKey, BlobAddress(blobs), ct => provider.GetRequiredService<AzureBlobStore>().EnsureReadyAsync(ct), wait, cancellationToken));
        await Task.WhenAll(checks);
        logger.LogInformation("Profile {Profile}: metadata {Metadata}, blobs {Blobs}, cluster {Cluster}", services.Profile,
            services.RegistryDb is null ? "SQLite" : "PostgreSQL " + PostgresAddress(services.RegistryDb),
            services.Blobs is null ? "filesystem" : "Azure Blob " + BlobAddress(services.Blobs),
            services.Redis is null ? "localhost" : "Redis " + RedisAddress(services.Redis));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task WaitAsync(string key, string address, Func<CancellationToken, Task> check, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        var attempt = 0;
        while (true)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await check(timeout.Token);
                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not StartupException)
            {
                var reason = e is OperationCanceledException ? "no answer within 5 s" : e.GetBaseException().Message;
                if (DateTime.UtcNow >= deadline)
                {
                    throw new StartupException($"{key} ({address}) is unreachable after {wait.TotalSeconds:0} s: {reason}", e);
                }

                if (attempt++ == 0)
                {
                    logger.LogWarning("Waiting for {Key} ({Address}): {Reason}", key, address, reason);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    private static async Task CheckPostgresAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task CheckRedisAsync(string connectionString, CancellationToken cancellationToken)
    {
        var config = ConfigurationOptions.Parse(connectionString);
        config.AbortOnConnectFail = true;
        config.ConnectTimeout = 5000;
        await using var mux = await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(cancellationToken);
        await mux.GetDatabase().PingAsync().WaitAsync(cancellationToken);
    }

    internal static string PostgresAddress(string connectionString)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{b.Host}:{b.Port}/{b.Database}";
        }
        catch (ArgumentException e)
        {
            throw new StartupException($"{BackingServices.RegistryDbKey} is not a valid PostgreSQL connection string: {e.Message}");
        }
    }

    internal static string RedisAddress(string connectionString)
    {
        try
        {
            return string.Join(",", ConfigurationOptions.Parse(connectionString).EndPoints.Select(e => e.ToString()));
        }
        catch (ArgumentException e)
        {
            throw new StartupException($"{BackingServices.RedisKey} is not a valid Redis connection string: {e.Message}");
        }
    }

    internal static string BlobAddress(string connectionString)
    {
        try
        {
            return new BlobServiceClient(connectionString).Uri.ToString();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new StartupException($"{BackingServices.BlobsKey} is not a valid Azure Storage connection string: {e.Message}");
        }
    }
}

/// <summary>The node cannot start as configured; the message says why and which key to fix.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
