namespace Registry.Api.Hosting;

/// <summary>
/// Which backing services the configuration names, under Aspire's connection-string names. Each
/// one present switches its component to the distributed driver; none present is the embedded
/// profile. Nothing ever falls back silently: a named service that cannot be reached stops the
/// node at start (see <see cref="BackingServicesCheck"/>).
/// </summary>
public sealed record BackingServices(string? RegistryDb, string? Redis, string? Blobs)
{
    public const string RegistryDbKey = "ConnectionStrings:registrydb";
    public const string RedisKey = "ConnectionStrings:redis";
    public const string BlobsKey = "ConnectionStrings:blobs";

    /// <summary>The keyed <c>IConnectionMultiplexer</c> name, as Aspire registers it and Orleans' ServiceKey finds it.</summary>
    public const string RedisServiceKey = "redis";

    public static BackingServices From(IConfiguration configuration) => new(
        Value(configuration, RegistryDbKey),
        Value(configuration, RedisKey),
        Value(configuration, BlobsKey));

    public string Profile => (RegistryDb, Redis, Blobs) switch
    {
        (null, null, null) => "embedded",
        (not null, not null, not null) => "distributed",
        _ => "mixed",
    };

    /// <summary>
    /// Orleans keys that follow from Redis being configured, unless set explicitly: clustering
    /// and reminders over the keyed <c>redis</c> multiplexer.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string?>> OrleansDefaults(IConfiguration configuration)
    {
        if (Redis is null)
        {
            yield break;
        }

        foreach (var provider in new[] { "Clustering", "Reminders" })
        {
            if (string.IsNullOrEmpty(configuration[$"Orleans:{provider}:ProviderType"]))
            {
                yield return new($"Orleans:{provider}:ProviderType", "Redis");
                yield return new($"Orleans:{provider}:ServiceKey", RedisServiceKey);
            }
        }
    }

    /// <summary>Refuses Orleans providers set to Redis when there is no Redis to use.</summary>
    public void Validate(IConfiguration configuration)
    {
        foreach (var provider in new[] { "Clustering", "Reminders" })
        {
            if (string.Equals(configuration[$"Orleans:{provider}:ProviderType"], "Redis", StringComparison.OrdinalIgnoreCase) && Redis is null
                && string.IsNullOrEmpty(configuration[$"Orleans:{provider}:ConnectionString"]))
            {
                throw new StartupException($"Orleans:{provider}:ProviderType is Redis but {RedisKey} is not set");
            }
        }
    }

    private static string? Value(IConfiguration configuration, string key) =>
        configuration[key] is { Length: > 0 } value ? value : null;
}
