using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Registry.Bench;

/// <summary>
/// A server started through <c>sh -c 'exec ...'</c> so that its output goes straight to a log file
/// (nothing for us to drain) while <see cref="Pid"/> stays the server's own pid, for VmRSS.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable, IKillable
{
    readonly Process process;

    ChildProcess(Process process, string logPath)
    {
        this.process = process;
        LogPath = logPath;
    }

    public int Pid => process.Id;
    public string LogPath { get; }
    public bool HasExited => process.HasExited;

    public static ChildProcess Start(string fileName, IEnumerable<string> args, string workDir, string logPath,
        IReadOnlyDictionary<string, string?>? env = null)
    {
        var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = workDir, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$BENCH_LOG\" 2>&1 </dev/null");
        psi.ArgumentList.Add(fileName);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["BENCH_LOG"] = logPath;
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
        {
            if (v is null)
            {
                psi.Environment.Remove(k);
            }
            else
            {
                psi.Environment[k] = v;
            }
        }
        var process = Process.Start(psi) ?? throw new BenchException($"cannot start {fileName}");
        var child = new ChildProcess(process, logPath);
        Shutdown.Track(child);
        return child;
    }

    /// <summary>Resident set size now (VmRSS in /proc/&lt;pid&gt;/status), in bytes.</summary>
    public long RssBytes() => Status("VmRSS:");

    /// <summary>Highest resident set size since the process started (VmHWM), in bytes.</summary>
    public long PeakRssBytes() => Status("VmHWM:");

    long Status(string key)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line[key.Length..].Trim().Split(' ')[0]) * 1024;
            }
        }
        throw new BenchException($"no {key} for pid {Pid}");
    }

    public string LogTail(int lines = 30)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogPath).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"bench: pid {Pid} did not exit within 10 s");
        }
        Shutdown.Untrack(this);
        process.Dispose();
    }

    /// <summary>A port free right now on 127.0.0.1 (the OS picks it; the race until the server binds is acceptable).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
