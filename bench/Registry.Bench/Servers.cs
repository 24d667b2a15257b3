using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Registry.Bench.Oci;

namespace Registry.Bench;

/// <summary>One registry under test: its process, its temp dir and an HTTP client bound to it.</summary>
public sealed class Side(string name, string description, ChildProcess process, OciClient client, string tempDir) : IAsyncDisposable
{
    public string Name => name;
    public string Description => description;
    public ChildProcess Process => process;
    public OciClient Client => client;

    /// <summary>VmRSS once <c>GET /v2/</c> first answered.</summary>
    public long StartupRssBytes { get; set; }

    public async ValueTask DisposeAsync()
    {
        client.Dispose();
        await process.DisposeAsync();
        try
        {
            Directory.Delete(tempDir, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"bench: could not delete {tempDir}: {e.Message}");
        }
    }
}

/// <summary>Starts ours and distribution side by side on 127.0.0.1 and stops both (and deletes their data) on dispose.</summary>
public sealed class Servers : IAsyncDisposable
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    Servers(Side ours, Side distribution) => Sides = [ours, distribution];

    /// <summary>Ours first, distribution second.</summary>
    public IReadOnlyList<Side> Sides { get; }

    public static async Task<Servers> StartAsync(Options options, CancellationToken ct)
    {
        if (!options.PeerOnly && !File.Exists(options.ApiDll))
        {
            throw new BenchException($"{options.ApiDll} not found: build it (bench/run.sh does) or pass --api-dll");
        }
        if (!File.Exists(options.DistributionBinary))
        {
            throw new BenchException($"{options.DistributionBinary} not found (apt-get install docker-registry)");
        }
        var ours = options.PeerOnly
            ? StartDistributionAsync(options, "ours", ct)
            : StartOursAsync(options, ct);
        var distribution = StartDistributionAsync(options, "distribution", ct);
        try
        {
            await Task.WhenAll(ours, distribution);
        }
        catch
        {
            foreach (var t in new[] { ours, distribution })
            {
                if (t.IsCompletedSuccessfully)
                {
                    await t.Result.DisposeAsync();
                }
            }
            throw;
        }
        return new Servers(ours.Result, distribution.Result);
    }

    static async Task<Side> StartOursAsync(Options options, CancellationToken ct)
    {
        var temp = Directory.CreateTempSubdirectory("registry-bench-ours-").FullName;
        var data = Directory.CreateDirectory(Path.Combine(temp, "data")).FullName;
        var port = ChildProcess.FreePort();
        var password = $"Bench{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}x9";
        string[] args =
        [
            options.ApiDll,
            "--urls", $"http://127.0.0.1:{port}",
            $"--Registry:DataPath={data}",
            $"--Registry:AdminPassword={password}",
            $"--Orleans:Endpoints:SiloPort={ChildProcess.FreePort()}",
            $"--Orleans:Endpoints:GatewayPort={ChildProcess.FreePort()}",
        ];
        // As quiet as distribution's "level: error", and no telemetry export during the run.
        var env = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft"] = "Warning",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Logging__LogLevel__Orleans"] = "Warning",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
            ["DOTNET_NOLOGO"] = "1",
        };
        var process = ChildProcess.Start("dotnet", args, Path.GetDirectoryName(options.ApiDll)!, Path.Combine(temp, "server.log"), env);
        var auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{password}")));
        var build = BuildInfo.Configuration(options.ApiDll);
        var side = new Side("ours", $"Registry ({build} build, {options.ApiDll})", process,
            new OciClient(new Uri($"http://127.0.0.1:{port}/"), auth), temp);
        return await WaitReadyAsync(side, HttpStatusCode.OK, HttpStatusCode.Unauthorized, ct);
    }

    static async Task<Side> StartDistributionAsync(Options options, string name, CancellationToken ct)
    {
        var temp = Directory.CreateTempSubdirectory($"registry-bench-{name}-").FullName;
        var port = ChildProcess.FreePort();
        var config = Path.Combine(temp, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {Path.Combine(temp, "data")}
              cache:
                blobdescriptor: inmemory
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
            """, ct);
        var process = ChildProcess.Start(options.DistributionBinary, ["serve", config], temp, Path.Combine(temp, "server.log"));
        var side = new Side(name, $"distribution {Version(options.DistributionBinary)} ({options.DistributionBinary})", process,
            new OciClient(new Uri($"http://127.0.0.1:{port}/"), auth: null), temp);
        return await WaitReadyAsync(side, HttpStatusCode.OK, HttpStatusCode.OK, ct);
    }

    /// <summary>Polls <c>GET /v2/</c> until it answers, then checks that our credentials are accepted.</summary>
    static async Task<Side> WaitReadyAsync(Side side, HttpStatusCode anonymous, HttpStatusCode alsoReady, CancellationToken ct)
    {
        try
        {
            var deadline = DateTime.UtcNow + StartTimeout;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (side.Process.HasExited)
                {
                    throw new BenchException($"{side.Name} exited during start-up; its log ends:\n{side.Process.LogTail()}");
                }
                var status = await side.Client.ProbeAsync(authenticated: false, ct);
                if (status == anonymous || status == alsoReady)
                {
                    break;
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new BenchException($"{side.Name} did not answer GET /v2/ within {StartTimeout.TotalSeconds} s; log:\n{side.Process.LogTail()}");
                }
                await Task.Delay(200, ct);
            }
            await side.Client.ExpectAsync(HttpMethod.Get, "/v2/", HttpStatusCode.OK, ct);
            side.StartupRssBytes = side.Process.RssBytes();
            Console.WriteLine($"bench: {side.Name} ready at {side.Client.BaseUri} (pid {side.Process.Pid})");
            return side;
        }
        catch
        {
            await side.DisposeAsync();
            throw;
        }
    }

    static string Version(string binary)
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(binary, "--version") { RedirectStandardOutput = true })!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return text.Split(' ').LastOrDefault() ?? "?";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "?";
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var side in Sides)
        {
            await side.DisposeAsync();
        }
    }
}
