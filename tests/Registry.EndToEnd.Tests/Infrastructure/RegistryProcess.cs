using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The built Registry.Api running standalone as a child process: its own temp data path, free
/// HTTP/silo/gateway ports and a random admin password. It can be SIGKILLed and started again on
/// the same data and ports, which is what the crash-safety tests are about.
/// </summary>
public sealed class RegistryProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);
    private const int MaxLogLines = 2000;

    private readonly ITestOutputHelper output;
    private readonly TempDirectory data = new("registry-e2e-data");
    private readonly Queue<string> log = new();
    private readonly string dllPath;
    private Process? process;
    private int generation;

    private readonly IReadOnlyDictionary<string, string> settings;

    private RegistryProcess(ITestOutputHelper output, string dllPath, string? password, IReadOnlyDictionary<string, string>? settings, string? name)
    {
        this.output = output;
        this.dllPath = dllPath;
        this.settings = settings ?? new Dictionary<string, string>();
        var ports = FreePorts.Take(3);
        (HttpPort, SiloPort, GatewayPort) = (ports[0], ports[1], ports[2]);
        Password = password ?? $"E2e{Guid.NewGuid():N}";
        Name = name ?? "registry";
    }

    /// <summary>How logs and messages name this node.</summary>
    public string Name { get; }

    public int HttpPort { get; }
    public int SiloPort { get; }
    public int GatewayPort { get; }
    public string Password { get; }
    public string UserName => "admin";
    public string Credentials => $"{UserName}:{Password}";
    public string DataPath => data.Path;

    /// <summary>host:port as container tools spell a registry.</summary>
    public string Host => $"127.0.0.1:{HttpPort}";
    public Uri BaseAddress => new($"http://{Host}/");

    /// <summary>
    /// Starts a node. <paramref name="settings"/> are extra configuration keys (connection strings,
    /// Orleans keys) passed as command-line settings; nodes of one cluster share the admin <paramref name="password"/>.
    /// </summary>
    public static async Task<RegistryProcess> StartAsync(ITestOutputHelper output, string? password = null,
        IReadOnlyDictionary<string, string>? settings = null, string? name = null)
    {
        var registry = new RegistryProcess(output, ApiBinary.RequireBuilt(), password, settings, name);
        try
        {
            await registry.LaunchAsync();
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL to the process tree: no shutdown hooks, no flushes, like a power cut of the process.</summary>
    public bool IsRunning => process is { HasExited: false };

    public void Kill()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Append($"==== killed (SIGKILL) generation {generation} ====");
        }
    }

    /// <summary>Kills (if running) and starts again on the same data path and ports.</summary>
    public async Task RestartAsync()
    {
        Kill();
        await LaunchAsync();
    }

    public HttpClient CreateClient(bool authenticated = true)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30), AllowAutoRedirect = true };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (authenticated)
        {
            client.DefaultRequestHeaders.Authorization =
                new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Credentials)));
        }
        return client;
    }

    /// <summary>The last lines the registry wrote to stdout/stderr, for assertion messages.</summary>
    public string Tail(int lines = 80)
    {
        lock (log)
        {
            return string.Join('\n', log.Skip(Math.Max(0, log.Count - lines)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        process?.Dispose();
        await Task.Delay(50); // let the output readers drain
        output.WriteLine($"---- {Name} log ({Host}, data {DataPath}) ----");
        output.WriteLine(Tail(MaxLogLines));
        data.Dispose();
    }

    private async Task LaunchAsync()
    {
        generation++;
        Append($"==== starting generation {generation} ====");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dllPath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            dllPath, "--urls", BaseAddress.ToString().TrimEnd('/'),
            $"--Registry:DataPath={DataPath}", $"--Registry:AdminPassword={Password}",
            $"--Orleans:Endpoints:SiloPort={SiloPort}", $"--Orleans:Endpoints:GatewayPort={GatewayPort}",
        })
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in settings)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }
        info.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        info.Environment["DOTNET_NOLOGO"] = "1";

        var child = new Process { StartInfo = info, EnableRaisingEvents = true };
        child.OutputDataReceived += (_, e) => { if (e.Data is not null) Append(e.Data); };
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) Append("[stderr] " + e.Data); };
        child.Start();
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        process?.Dispose();
        process = child;

        await WaitUntilReadyAsync(child);
    }

    private async Task WaitUntilReadyAsync(Process child)
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        string last = "no answer yet";
        while (deadline.Elapsed < StartupTimeout)
        {
            if (child.HasExited)
            {
                await Task.Delay(100);
                Assert.Fail($"Registry.Api exited with code {child.ExitCode} before it was ready.\n{Tail()}");
            }
            try
            {
                using var response = await probe.GetAsync(new Uri(BaseAddress, "v2/"));
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    Append($"==== ready after {deadline.Elapsed.TotalSeconds:F1}s ====");
                    return;
                }
                last = $"GET /v2/ -> {(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }
            await Task.Delay(200);
        }
        Assert.Fail($"Registry.Api did not answer GET /v2/ with 200/401 within {StartupTimeout} (last: {last}).\n{Tail()}");
    }

    private void Append(string line)
    {
        lock (log)
        {
            log.Enqueue(line);
            while (log.Count > MaxLogLines)
            {
                log.Dequeue();
            }
        }
    }
}
