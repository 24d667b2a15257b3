using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Registry.Bench.Oci;

namespace Registry.Bench;

/// <summary>One server process of a side and an HTTP client bound to it.</summary>
public sealed class Node(string name, ChildProcess process, OciClient client)
{
    public string Name => name;
    public ChildProcess Process => process;
    public OciClient Client => client;

    /// <summary>VmRSS once <c>GET /v2/</c> first answered.</summary>
    public long StartupRssBytes { get; set; }
}

/// <summary>
/// One registry under test: its node(s), the backing services they share (distributed profile
/// only) and its temp dir. Workloads that spread load pick nodes with <see cref="NodeAt"/>; on a
/// one-node side every index is that node.
/// </summary>
public sealed class Side(string name, string description, IReadOnlyList<Node> nodes, string tempDir,
    IReadOnlyList<BackingService>? services = null) : IAsyncDisposable
{
    public string Name => name;
    public string Description => description;
    public IReadOnlyList<Node> Nodes => nodes;
    public IReadOnlyList<BackingService> Services => services ?? [];

    /// <summary>The first node (node A of a cluster).</summary>
    public ChildProcess Process => nodes[0].Process;

    /// <summary>The first node's client.</summary>
    public OciClient Client => nodes[0].Client;

    public long StartupRssBytes => nodes[0].StartupRssBytes;

    /// <summary>Node <paramref name="index"/> modulo the node count: alternate with 0, 1, 2, ...</summary>
    public Node NodeAt(int index) => nodes[index % nodes.Count];

    /// <summary>What has died under this side (a node or a backing service), or null when all run.</summary>
    public string? Failure()
    {
        foreach (var node in nodes)
        {
            if (node.Process.HasExited)
            {
                return $"{name} ({node.Name}) exited; its log ends:\n{node.Process.LogTail()}";
            }
        }
        foreach (var service in Services)
        {
            if (!service.IsRunning)
            {
                return $"{service.Name} (backing {name}) exited; its output ends:\n{service.RecentOutput}";
            }
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        // Nodes first (they hold connections to the services), then the services, then the files.
        await Task.WhenAll(nodes.Select(async node =>
        {
            node.Client.Dispose();
            await node.Process.DisposeAsync();
        }));
        foreach (var service in Services)
        {
            await service.DisposeAsync();
        }
        try
        {
            Directory.Delete(tempDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"bench: could not delete {tempDir}: {e.Message}");
        }
    }
}

/// <summary>
/// Starts ours (one embedded node, or a two-node cluster with its backing services) and
/// distribution side by side on 127.0.0.1, and stops everything (and deletes their data) on dispose.
/// </summary>
public sealed class Servers : IAsyncDisposable
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    Servers(Profile profile, Side ours, Side distribution, AzuriteReference? reference)
    {
        Profile = profile;
        Sides = [ours, distribution];
        Reference = reference;
    }

    public Profile Profile { get; }

    /// <summary>Ours first, distribution second.</summary>
    public IReadOnlyList<Side> Sides { get; }

    /// <summary>The "Azurite alone" reference of the distributed profile (the cluster's own Azurite); null otherwise.</summary>
    public AzuriteReference? Reference { get; }

    public static async Task<Servers> StartAsync(Options options, Profile profile, CancellationToken ct)
    {
        if (!options.PeerOnly && !File.Exists(options.ApiDll))
        {
            throw new BenchException($"{options.ApiDll} not found: build it (bench/run.sh does) or pass --api-dll");
        }
        if (!File.Exists(options.DistributionBinary))
        {
            throw new BenchException($"{options.DistributionBinary} not found (apt-get install docker-registry)");
        }
        var ours = options.PeerOnly ? StartDistributionAsync(options, "ours", ct)
            : profile == Profile.Distributed ? Cluster.StartAsync(options, ct)
            : StartOursAsync(options, ct);
        var distribution = StartDistributionAsync(options, "distribution", ct);
        try
        {
            await Task.WhenAll(ours, distribution);
        }
        catch
        {
            // WhenAll has waited for both: stop whichever started, nothing may outlive a failed start.
            foreach (var t in new[] { ours, distribution })
            {
                if (t.IsCompletedSuccessfully)
                {
                    await t.Result.DisposeAsync();
                }
            }
            throw;
        }
        AzuriteReference? reference = null;
        if (profile == Profile.Distributed && ours.Result.Services.FirstOrDefault(s => s.Server is Registry.AppHost.Local.LocalAzurite) is { } azurite)
        {
            reference = new AzuriteReference(azurite.Server.ConnectionString, azurite.Version);
        }
        return new Servers(profile, ours.Result, distribution.Result, reference);
    }

    static async Task<Side> StartOursAsync(Options options, CancellationToken ct)
    {
        var temp = Directory.CreateTempSubdirectory("registry-bench-ours-").FullName;
        try
        {
            var password = NewPassword();
            var node = await StartApiNodeAsync(options, "ours", Path.Combine(temp, "data"), Path.Combine(temp, "server.log"), password, [], ct);
            return new Side("ours", $"Registry ({BuildInfo.Configuration(options.ApiDll)} build, {options.ApiDll})", [node], temp);
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    public static string NewPassword() => $"Bench{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}x9";

    /// <summary>
    /// Starts one Registry.Api process on free ports with its own data directory, plus
    /// <paramref name="settings"/> as command-line configuration, and waits until it answers.
    /// </summary>
    public static async Task<Node> StartApiNodeAsync(Options options, string name, string dataPath, string logPath, string password,
        IEnumerable<KeyValuePair<string, string>> settings, CancellationToken ct)
    {
        Directory.CreateDirectory(dataPath);
        var port = ChildProcess.FreePort();
        string[] args =
        [
            options.ApiDll,
            "--urls", $"http://127.0.0.1:{port}",
            $"--Registry:DataPath={dataPath}",
            $"--Registry:AdminPassword={password}",
            $"--Orleans:Endpoints:SiloPort={ChildProcess.FreePort()}",
            $"--Orleans:Endpoints:GatewayPort={ChildProcess.FreePort()}",
            .. settings.Select(s => $"--{s.Key}={s.Value}"),
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
        var process = ChildProcess.Start("dotnet", args, Path.GetDirectoryName(options.ApiDll)!, logPath, env);
        var auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{password}")));
        var node = new Node(name, process, new OciClient(new Uri($"http://127.0.0.1:{port}/"), auth));
        return await WaitReadyAsync(node, HttpStatusCode.OK, HttpStatusCode.Unauthorized, ct);
    }

    static async Task<Side> StartDistributionAsync(Options options, string name, CancellationToken ct)
    {
        var temp = Directory.CreateTempSubdirectory($"registry-bench-{name}-").FullName;
        try
        {
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
            var node = await WaitReadyAsync(new Node(name, process, new OciClient(new Uri($"http://127.0.0.1:{port}/"), auth: null)),
                HttpStatusCode.OK, HttpStatusCode.OK, ct);
            return new Side(name, $"distribution {Version(options.DistributionBinary)} ({options.DistributionBinary})", [node], temp);
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Polls <c>GET /v2/</c> until it answers, then checks that our credentials are accepted; on
    /// failure the node's process is stopped.
    /// </summary>
    static async Task<Node> WaitReadyAsync(Node node, HttpStatusCode anonymous, HttpStatusCode alsoReady, CancellationToken ct)
    {
        try
        {
            var deadline = DateTime.UtcNow + StartTimeout;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (node.Process.HasExited)
                {
                    throw new BenchException($"{node.Name} exited during start-up; its log ends:\n{node.Process.LogTail()}");
                }
                var status = await node.Client.ProbeAsync(authenticated: false, ct);
                if (status == anonymous || status == alsoReady)
                {
                    break;
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new BenchException($"{node.Name} did not answer GET /v2/ within {StartTimeout.TotalSeconds} s; log:\n{node.Process.LogTail()}");
                }
                await Task.Delay(200, ct);
            }
            await node.Client.ExpectAsync(HttpMethod.Get, "/v2/", HttpStatusCode.OK, ct);
            node.StartupRssBytes = node.Process.RssBytes();
            Console.WriteLine($"bench: {node.Name} ready at {node.Client.BaseUri} (pid {node.Process.Pid})");
            return node;
        }
        catch
        {
            node.Client.Dispose();
            await node.Process.DisposeAsync();
            throw;
        }
    }

    /// <summary>The last word of <c>BINARY --version</c>, or "?".</summary>
    public static string Version(string binary) => VersionLine(binary).Split(' ').LastOrDefault() ?? "?";

    /// <summary>The first line <c>BINARY --version</c> prints, or "?".</summary>
    public static string VersionLine(string binary)
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(binary, "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return text.Split('\n').FirstOrDefault()?.Trim() is { Length: > 0 } line ? line : "?";
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
