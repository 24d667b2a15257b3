using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>
/// Drives manifest GETs with wrk (Debian package "wrk"): a C event loop costs the 2-core box far
/// less CPU per request than HttpClient in this process, so it measures the server, not the client.
/// </summary>
public static partial class Wrk
{
    const string Binary = "wrk";

    public static bool IsInstalled { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, Binary)));

    /// <summary>
    /// GETs <paramref name="url"/> for <paramref name="seconds"/>; returns requests per second.
    /// <paramref name="threads"/> defaults to one per core (at most one per connection).
    /// </summary>
    public static async Task<double> RunAsync(Uri url, int connections, int seconds, AuthenticationHeaderValue? auth, CancellationToken ct,
        int? threads = null)
    {
        var psi = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-t", Math.Min(threads ?? Environment.ProcessorCount, connections).ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{seconds}s", "--timeout", "10s",
            "-H", $"Accept: {OciClient.ManifestMediaType}" })
        {
            psi.ArgumentList.Add(arg);
        }
        if (auth is not null)
        {
            psi.ArgumentList.Add("-H");
            psi.ArgumentList.Add($"Authorization: {auth}");
        }
        psi.ArgumentList.Add(url.ToString());
        using var process = Process.Start(psi) ?? throw new BenchException("cannot start wrk");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
        var output = await stdout + await stderr;
        var rate = RequestsPerSecond().Match(output);
        if (process.ExitCode != 0 || !rate.Success)
        {
            throw new BenchException($"wrk failed (exit {process.ExitCode}):\n{output}");
        }
        var non2xx = Non2xx().Match(output);
        if (non2xx.Success)
        {
            throw new RegistryRequestException($"wrk GET {url}: {non2xx.Groups[1].Value} non-2xx/3xx responses in {seconds} s");
        }
        var errors = SocketErrors().Match(output);
        if (errors.Success)
        {
            Console.WriteLine($"   wrk: {errors.Value.Trim()}");
        }
        return double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors:.*")]
    private static partial Regex SocketErrors();
}
