using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Registry.AppHost;

/// <summary>
/// One service running as `dotnet &lt;dll&gt;`: streams its output line by line under a colored
/// prefix, and stops it gracefully (SIGTERM) before killing its process tree.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;

    private ChildProcess(Process process, Task exited)
    {
        _process = process;
        Exited = exited;
    }

    public DateTime StartedAt { get; } = DateTime.UtcNow;
    public Task Exited { get; }
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public static ChildProcess Start(Resource resource, string color, ConsoleOutput output)
    {
        var info = new ProcessStartInfo(DotnetHost.Path)
        {
            WorkingDirectory = resource.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // children must not read the developer's keystrokes
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(resource.Dll);
        foreach (var argument in resource.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in resource.Environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {resource.Name}");
        _ = Pump(process.StandardOutput, resource.Name, color, output, isError: false);
        _ = Pump(process.StandardError, resource.Name, color, output, isError: true);
        return new ChildProcess(process, process.WaitForExitAsync());
    }

    /// <summary>Asks the child to stop, waits up to <paramref name="grace"/> (cut short by <paramref name="force"/>), then kills its tree.</summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken force)
    {
        if (_process.HasExited)
        {
            return;
        }

        if (OperatingSystem.IsWindows() || Kill(_process.Id, SigTerm) != 0)
        {
            _process.Kill(entireProcessTree: true);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(force);
        timeout.CancelAfter(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>Last resort when the AppHost itself is going down without a clean stop.</summary>
    public void KillNow()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public void Dispose() => _process.Dispose();

    private static async Task Pump(StreamReader reader, string name, string color, ConsoleOutput output, bool isError)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            output.Child(name, color, line, isError);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
