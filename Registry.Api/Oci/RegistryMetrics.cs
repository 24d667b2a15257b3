using System.Diagnostics.Metrics;

namespace Registry.Api.Oci;

/// <summary>The registry's own meter ("Registry"): pushes, pulls, bytes in and out, upload duration.</summary>
public sealed class RegistryMetrics
{
    private readonly Counter<long> _pushes;
    private readonly Counter<long> _pulls;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Histogram<double> _uploadSeconds;

    public RegistryMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(RegistryTelemetry.MeterName);
        _pushes = meter.CreateCounter<long>("registry.manifest.pushes", description: "Manifests pushed");
        _pulls = meter.CreateCounter<long>("registry.manifest.pulls", description: "Manifests pulled (GET)");
        _bytesIn = meter.CreateCounter<long>("registry.blob.bytes_in", "By", "Blob bytes received");
        _bytesOut = meter.CreateCounter<long>("registry.blob.bytes_out", "By", "Blob bytes sent");
        _uploadSeconds = meter.CreateHistogram<double>("registry.blob.upload.duration", "s", "Time from upload start to commit");
    }

    public void Pushed() => _pushes.Add(1);
    public void Pulled() => _pulls.Add(1);
    public void BytesIn(long bytes) => _bytesIn.Add(bytes);
    public void BytesOut(long bytes) => _bytesOut.Add(bytes);
    public void UploadCompleted(TimeSpan duration) => _uploadSeconds.Record(duration.TotalSeconds);
}
