using System.Diagnostics;

namespace Registry.AppHost.Local;

/// <summary>
/// Azurite's blob service on a loopback port, keeping its data under its data directory, so the
/// Azure Blob driver runs against a local emulator in development, tests and the benchmark.
/// </summary>
public sealed class LocalAzurite(string dataDirectory, int port = 0) : LocalServer("azurite", dataDirectory, port)
{
    public const string Package = "npm install -g azurite";

    /// <summary>Azurite's built-in development account; its name and key are published in Azurite's documentation.</summary>
    public const string AccountName = "devstoreaccount1";

    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public override string Address => BlobEndpoint;

    public string BlobEndpoint => $"http://127.0.0.1:{Port}/{AccountName}";

    public override string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint};";

    protected override ProcessStartInfo StartInfo()
    {
        var info = new ProcessStartInfo(Require("azurite-blob", Package, "/usr/bin/azurite-blob", "/usr/local/bin/azurite-blob"));
        foreach (var arg in new[]
        {
            "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(), "--location", DataDirectory,
            "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry",
        })
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }
}
