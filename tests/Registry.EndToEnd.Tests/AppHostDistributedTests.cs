using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests;

/// <summary>
/// <c>dotnet run --project AppHost -- --profile distributed</c> as a developer runs it: backing
/// services and two API nodes come up healthy, a push through one node is read through the
/// other, and Ctrl+C (SIGTERM) stops everything, backing services included.
/// </summary>
public sealed partial class AppHostDistributedTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheDistributedProfileStartsEverythingServesThroughBothNodesAndStopsEverything()
    {
        using var data = new TempDirectory("apphost-dist", shortPath: true);
        var api = FreePorts.TakePair();
        var silo = FreePorts.TakePair();
        var gateway = FreePorts.TakePair();
        // Every port outside the ephemeral range: the services bind them one after another.
        var (portal, postgres, redis, azurite) = (FreePorts.TakePair(), FreePorts.TakePair(), FreePorts.TakePair(), FreePorts.TakePair());
        var password = $"AppHost{Guid.NewGuid():N}";
        var dll = Path.Combine(ApiBinary.RepositoryRoot, "AppHost", "bin", ApiBinary.Configuration, "net10.0", "AppHost.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");

        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            dll, "--profile", "distributed", "--data", data.Path, "--api-port", api.ToString(), "--portal-port", portal.ToString(),
            "--silo-port", silo.ToString(), "--gateway-port", gateway.ToString(),
            "--postgres-port", postgres.ToString(), "--redis-port", redis.ToString(), "--azurite-port", azurite.ToString(),
        })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["Registry__AdminPassword"] = password;
        info.Environment["NO_COLOR"] = "1";
        var log = new StringBuilder();
        using var apphost = new Process { StartInfo = info };
        apphost.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        apphost.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        apphost.Start();
        apphost.BeginOutputReadLine();
        apphost.BeginErrorReadLine();
        string Log() { lock (log) return log.ToString(); }

        try
        {
            var clock = Stopwatch.StartNew();
            while (!(HealthyRow().Matches(Log()).Select(m => m.Groups[1].Value).Distinct().Count() >= 2))
            {
                Assert.False(apphost.HasExited, $"the AppHost exited early:\n{Log()}");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(150), $"api-a and api-b not healthy in the table:\n{Log()}");
                await Task.Delay(500);
            }

            foreach (var name in new[] { "postgres", "redis", "azurite" })
            {
                Assert.Matches(new Regex($@"^\s*{name}\s+\S+\s+Running", RegexOptions.Multiline), Log());
            }

            using var a = Client(api, password);
            using var b = Client(api + 1, password);
            var image = SyntheticImage.Create(new Random(5), layerCount: 1);
            var ociA = new OciClient(a, "library/apphost", Log);
            foreach (var blob in image.Blobs) await ociA.PushBlobAsync(blob);
            using (var put = await ociA.PutManifestAsync("v1", image.Manifest)) await ociA.ExpectAsync(put, HttpStatusCode.Created, "PUT through api-a");
            var (status, _, digest, _) = await new OciClient(b, "library/apphost", Log).GetManifestAsync("v1");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(image.ManifestDigest, digest);
        }
        finally
        {
            _ = Kill(apphost.Id, 15);
            if (!apphost.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                apphost.Kill(entireProcessTree: true);
            }
            // The timed wait returns at exit, before the redirected output is drained; this one waits for its end.
            apphost.WaitForExit();

            output.WriteLine(Log());
        }

        Assert.Contains("stopping postgres, redis, azurite", Log());
        foreach (var port in new[] { postgres, redis, azurite, api, api + 1, portal })
        {
            Assert.False(Listening(port), $"port {port} still answers after the AppHost stopped:\n{Log()}");
        }
    }

    private static HttpClient Client(int port, string password)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{password}")));
        return client;
    }

    private static bool Listening(int port)
    {
        try
        {
            using var tcp = new TcpClient();
            tcp.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^\s*(api-[ab])\s+\S+\s+Running\s+Healthy", RegexOptions.Multiline)]
    private static partial Regex HealthyRow();

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
