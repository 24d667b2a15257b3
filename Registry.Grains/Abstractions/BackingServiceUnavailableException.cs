namespace Registry.Grains.Abstractions;

/// <summary>
/// A backing service (metadata store, blob store) could not be reached while serving a call; the
/// operation had no visible effect and may be retried. Thrown in place of the driver's own
/// exception, which other silos could not deserialize and clients should not depend on.
/// </summary>
[GenerateSerializer, Alias("Registry.BackingServiceUnavailableException")]
public sealed class BackingServiceUnavailableException : Exception
{
    public BackingServiceUnavailableException(string component, string message) : base(message) => Component = component;

    /// <summary>"metadata store" or "blob store".</summary>
    [Id(0)]
    public string Component { get; }
}
