using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Registry.AppHost.Local;

/// <summary>
/// A backing server (PostgreSQL, Redis, Azurite) run from the binaries installed on this machine,
/// on a loopback port, with its data under a directory of ours. The distributed AppHost profile,
/// the tests and the benchmark all start their servers through these classes.
/// <para>
/// A server can be stopped and started again on the same port and data, which is how tests
/// simulate an outage.
/// </para>
/// </summary>
public abstract class LocalServer : IAsyncDisposable
{
    protected const int SigInt = 2;
    protected const int SigTerm = 15;
    private const int SigKill = 9;
    private readonly StringBuilder _log = new();
    private Process? _process;

    protected LocalServer(string name, string dataDirectory, int port)
    {
        Name = name;
        DataDirectory = Path.GetFullPath(dataDirectory);
        Port = port == 0 ? FreePort() : port;
    }

    public string Name { get; }
    public string DataDirectory { get; }
    public int Port { get; }

    /// <summary>The connection string services get under <c>ConnectionStrings:&lt;name&gt;</c>.</summary>
    public abstract string ConnectionString { get; }

    /// <summary>Where the server listens, as the AppHost's resource table shows it.</summary>
    public virtual string Address => $"tcp://127.0.0.1:{Port}";

    /// <summary>The process id while it runs (0 otherwise).</summary>
    public int ProcessId => _process is { HasExited: false } p ? p.Id : 0;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the server printed most recently, for error messages.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Optional sink for every line the server prints (the AppHost prefixes and shows them).</summary>
    public Action<string, bool>? OnOutput { get; set; }

    /// <summary>Starts (or starts again) the server and waits until its port accepts connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
        {
            return;
        }

        Directory.CreateDirectory(DataDirectory);
        await PrepareAsync(cancellationToken);
        var info = StartInfo();
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
        _process = Process.Start(info) ?? throw new InvalidOperationException($"{Name}: could not start {info.FileName}");
        _ = Pump(_process.StandardOutput, isError: false);
        _ = Pump(_process.StandardError, isError: true);
        await WaitForPortAsync(cancellationToken);
        await AfterStartAsync(cancellationToken);
    }

    /// <summary>Stops the server gracefully (<see cref="StopSignal"/>), killing it after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (_process is not { } process || process.HasExited)
        {
            return;
        }

        _ = Signal(process.Id, StopSignal);
        using var timeout = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        await AfterStopAsync();
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash would.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process || process.HasExited)
        {
            return;
        }

        _ = Signal(process.Id, SigKill);
        await process.WaitForExitAsync(CancellationToken.None);
        await AfterStopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>One-time setup before the first start (e.g. initdb); runs before every start.</summary>
    protected virtual Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Runs once the port accepts connections, on every start (e.g. waiting until the server is
    /// ready and creating a database).
    /// </summary>
    protected virtual Task AfterStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The signal that asks the server to stop gracefully; SIGTERM unless overridden.</summary>
    protected virtual int StopSignal => SigTerm;

    /// <summary>Cleanup after the process has exited (e.g. a stale pid file).</summary>
    protected virtual Task AfterStopAsync() => Task.CompletedTask;

    /// <summary>The process to run in the foreground; stdout and stderr are captured.</summary>
    protected abstract ProcessStartInfo StartInfo();

    /// <summary>
    /// The full path of <paramref name="binary"/> from <paramref name="candidates"/> or PATH, or
    /// an exception naming the package that provides it.
    /// </summary>
    protected static string Require(string binary, string package, params string[] candidates)
    {
        foreach (var candidate in candidates.Concat(SearchPath(binary)))
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new MissingServerException($"'{binary}' was not found; install it with: {package}");
    }

    /// <summary>Runs a short command to completion and returns its standard output; throws with its output when it fails.</summary>
    protected static async Task<string> RunAsync(ProcessStartInfo info, CancellationToken cancellationToken)
    {
        var (exitCode, stdout, stderr) = await TryRunAsync(info, cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"{info.FileName} {string.Join(' ', info.ArgumentList)} exited with {exitCode}: {stderr}{stdout}");
        }

        return stdout;
    }

    /// <summary>Runs a short command to completion and returns its exit code and output, whatever the exit code.</summary>
    protected static async Task<(int ExitCode, string Stdout, string Stderr)> TryRunAsync(ProcessStartInfo info, CancellationToken cancellationToken)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitForPortAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (_process is not { HasExited: false })
            {
                throw new InvalidOperationException($"{Name} exited at start ({_process?.ExitCode}): {RecentOutput}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (SocketException ex)
            {
                throw new TimeoutException($"{Name} did not listen on 127.0.0.1:{Port} within 60 s: {ex.Message}\n{RecentOutput}");
            }
        }
    }

    private async Task Pump(StreamReader reader, bool isError)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_log)
            {
                if (_log.Length > 16_000)
                {
                    _log.Remove(0, _log.Length - 8_000);
                }

                _log.AppendLine(line);
            }

            OnOutput?.Invoke(line, isError);
        }
    }

    private static IEnumerable<string> SearchPath(string binary) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, binary));

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Signal(int pid, int signal);
}

/// <summary>A server's binaries are not installed; the message names the package to install.</summary>
public sealed class MissingServerException(string message) : Exception(message);
