namespace Registry.Grains.Metadata;

/// <summary>The metadata database itself: schema migrations, applied at start by every node.</summary>
public interface IMetadataDatabase
{
    /// <summary>
    /// Applies pending migrations, each in its own transaction and recorded with its version.
    /// Safe when several nodes start at once: exactly one applies each migration.
    /// </summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>Where the database is, for logs and error messages (never a password).</summary>
    string Describe();
}
