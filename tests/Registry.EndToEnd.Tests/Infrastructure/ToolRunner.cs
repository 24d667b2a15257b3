using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>What one run of a command-line tool did, kept whole so a failure can quote it.</summary>
public sealed record ToolResult(string CommandLine, int ExitCode, string StdOut, string StdErr, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    public string Describe() =>
        $"$ {CommandLine}\nexit code: {(TimedOut ? "timed out" : ExitCode.ToString())}\n" +
        $"--- stdout ---\n{StdOut.TrimEnd()}\n--- stderr ---\n{StdErr.TrimEnd()}";
}

/// <summary>Runs skopeo, podman and umoci with a timeout; a failed step fails the test with the
/// tool's own output plus the registry's log tail (the <paramref name="context"/>).</summary>
public sealed class ToolRunner(ITestOutputHelper output, Func<string>? context = null)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    public async Task<ToolResult> RunAsync(
        string tool, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var commandLine = $"{tool} {string.Join(' ', info.ArgumentList.Select(Quote))}";
        output.WriteLine($"$ {commandLine}");

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"Cannot run '{tool}' ({e.Message}). Install it (eng/test.sh does) and rerun.");
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        var timedOut = false;
        using (var cts = new CancellationTokenSource(timeout ?? DefaultTimeout))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        var result = new ToolResult(commandLine, process.ExitCode, await stdout, await stderr, timedOut);
        output.WriteLine($"  -> {(timedOut ? "timed out" : $"exit {result.ExitCode}")}");
        return result;
    }

    /// <summary>Runs the tool and fails the test unless it exits 0.</summary>
    public async Task<ToolResult> RunOkAsync(
        string tool, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var result = await RunAsync(tool, arguments, workingDirectory, timeout);
        if (!result.Succeeded)
        {
            Assert.Fail(Explain($"'{tool}' failed.", result));
        }
        return result;
    }

    /// <summary>Runs the tool and fails the test if it exits 0 (for operations that must be refused).</summary>
    public async Task<ToolResult> RunFailingAsync(
        string tool, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var result = await RunAsync(tool, arguments, workingDirectory, timeout);
        if (result.ExitCode == 0 || result.TimedOut)
        {
            Assert.Fail(Explain($"'{tool}' was expected to fail but {(result.TimedOut ? "timed out" : "succeeded")}.", result));
        }
        return result;
    }

    public string Explain(string headline, ToolResult? result = null)
    {
        var text = new StringBuilder(headline).AppendLine();
        if (result is not null)
        {
            text.AppendLine(result.Describe());
        }
        if (context is not null)
        {
            text.AppendLine("--- registry log (tail) ---").AppendLine(context());
        }
        return text.ToString();
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && !argument.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '$')
            ? argument
            : $"'{argument.Replace("'", "'\\''")}'";
}
