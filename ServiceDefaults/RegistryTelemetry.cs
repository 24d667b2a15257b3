namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The meter and activity source names ServiceDefaults subscribes to; code that emits Registry
/// metrics or spans uses these so its telemetry is exported without further wiring.
/// </summary>
public static class RegistryTelemetry
{
    /// <summary>Name of the <see cref="System.Diagnostics.Metrics.Meter"/> for Registry metrics.</summary>
    public const string MeterName = "Registry";

    /// <summary>Name of the <see cref="System.Diagnostics.ActivitySource"/> for Registry spans.</summary>
    public const string ActivitySourceName = "Registry";
}
