using System.Diagnostics;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests;

/// <summary>
/// A node configured with a backing service it cannot reach stops at start with one line naming
/// the configuration key and the address, and exit code 3; it never falls back to embedded storage.
/// </summary>
public sealed class StartupCheckTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("registrydb", "Host=127.0.0.1;Port={0};Username=postgres;Database=registry", "127.0.0.1:{0}/registry")]
    [InlineData("redis", "127.0.0.1:{0}", "127.0.0.1:{0}")]
    [InlineData("blobs", "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:{0}/devstoreaccount1;", "http://127.0.0.1:{0}/devstoreaccount1")]
    public async Task AnUnreachableBackingServiceStopsTheNodeWithTheKeyAndAddress(string name, string connectionFormat, string addressFormat)
    {
        var closed = FreePorts.Take(1)[0];
        var (exitCode, stderr, data) = await RunAsync($"--ConnectionStrings:{name}={string.Format(connectionFormat, closed)}");
        Assert.True(exitCode == 3, $"exit code {exitCode}\n{stderr}");
        Assert.Contains($"registry: cannot start: ConnectionStrings:{name} ({string.Format(addressFormat, closed)}) is unreachable", stderr);
        Assert.False(File.Exists(Path.Combine(data, "registry.db")), "fell back to the embedded metadata store");
    }

    [Fact]
    public async Task RedisClusteringWithoutARedisConnectionStringIsRefused()
    {
        var (exitCode, stderr, _) = await RunAsync("--Orleans:Clustering:ProviderType=Redis");
        Assert.True(exitCode == 3, $"exit code {exitCode}\n{stderr}");
        Assert.Contains("Orleans:Clustering:ProviderType is Redis but ConnectionStrings:redis is not set", stderr);
    }

    private async Task<(int ExitCode, string StdErr, string DataPath)> RunAsync(string setting)
    {
        using var data = new TempDirectory("startup-check");
        var ports = FreePorts.Take(3);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            ApiBinary.RequireBuilt(), "--urls", $"http://127.0.0.1:{ports[0]}", $"--Registry:DataPath={data.Path}",
            "--Registry:StartupWaitSeconds=2", $"--Orleans:Endpoints:SiloPort={ports[1]}", $"--Orleans:Endpoints:GatewayPort={ports[2]}", setting,
        })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        output.WriteLine(await stdout);
        output.WriteLine(await stderr);
        return (process.ExitCode, await stderr, data.Path);
    }
}
