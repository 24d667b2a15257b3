using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests.Portal;

/// <summary>
/// A real Registry.Api and a real portal (both built binaries, as child processes) and Debian's
/// Chromium driven by Playwright. Pages opened through <see cref="NewPageAsync"/> fail the test on
/// any JavaScript error or console error; <see cref="ScreenshotAsync"/> saves a PNG per page under
/// <c>artifacts/screenshots/</c>.
/// </summary>
public sealed class PortalSite : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly ITestOutputHelper _output;
    private readonly List<string> _log = [];
    private readonly List<string> _jsErrors = [];
    private Process? _portal;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    private PortalSite(ITestOutputHelper output, RegistryProcess registry)
    {
        _output = output;
        Registry = registry;
    }

    public RegistryProcess Registry { get; }

    public Uri PortalAddress { get; private set; } = null!;

    /// <summary>Where screenshots go: the repository's artifacts/screenshots (kept as CI output).</summary>
    public static string ScreenshotDirectory => Path.Combine(ApiBinary.RepositoryRoot, "artifacts", "screenshots");

    public static async Task<PortalSite> StartAsync(ITestOutputHelper output)
    {
        if (!File.Exists(ChromiumPath)) Assert.Fail($"{ChromiumPath} is missing: apt-get install chromium (eng/test.sh does)");
        var site = new PortalSite(output, await RegistryProcess.StartAsync(output));
        try
        {
            await site.StartPortalAsync();
            site._playwright = await Playwright.CreateAsync();
            site._browser = await site._playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
            return site;
        }
        catch
        {
            await site.DisposeAsync();
            throw;
        }
    }

    private async Task StartPortalAsync()
    {
        (_portal, PortalAddress) = await StartPortalProcessAsync(Registry.BaseAddress, _log);
    }

    /// <summary>
    /// Starts the built portal on a free port against the API at <paramref name="api"/>, with
    /// <paramref name="environment"/> added to its environment, and waits for <c>/alive</c>; its
    /// output goes to <paramref name="log"/>. The caller kills the process.
    /// </summary>
    public static async Task<(Process Process, Uri Address)> StartPortalProcessAsync(Uri api, List<string> log, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(ApiBinary.RepositoryRoot, "Registry.Portal", "bin", ApiBinary.Configuration, "net10.0", "Registry.Portal.dll");
        if (!File.Exists(dll)) Assert.Fail($"the portal is not built: {dll}");
        var port = FreePorts.Take(1)[0];
        var address = new Uri($"http://127.0.0.1:{port}/");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, "--urls", address.ToString().TrimEnd('/'), $"--services:api:http:0={api.ToString().TrimEnd('/')}" })
            info.ArgumentList.Add(a);
        info.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        var portal = new Process { StartInfo = info };
        portal.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.Add(e.Data); };
        portal.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.Add("[stderr] " + e.Data); };
        portal.Start();
        portal.BeginOutputReadLine();
        portal.BeginErrorReadLine();
        string Tail() { lock (log) return string.Join('\n', log.TakeLast(200)); }

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (portal.HasExited) Assert.Fail($"the portal exited with {portal.ExitCode}:\n{Tail()}");
            try
            {
                using var response = await probe.GetAsync(new Uri(address, "alive"));
                if (response.IsSuccessStatusCode) return (portal, address);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        portal.Kill(entireProcessTree: true);
        Assert.Fail($"the portal did not answer /alive within 60 s:\n{Tail()}");
        return default;
    }

    public string PortalLog()
    {
        lock (_log) return string.Join('\n', _log.TakeLast(200));
    }

    /// <summary>A fresh browser context (its own cookies) and page; JavaScript errors are collected and fail <see cref="AssertNoJavaScriptErrors"/>.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = PortalAddress.ToString(), ViewportSize = new ViewportSize { Width = 1366, Height = 900 } });
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => { lock (_jsErrors) _jsErrors.Add($"{page.Url}: {error}"); };
        page.Console += (_, message) => { if (message.Type == "error") lock (_jsErrors) _jsErrors.Add($"{page.Url}: console error: {message.Text}"); };
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync(); // confirmations say yes
        return page;
    }

    public void AssertNoJavaScriptErrors()
    {
        lock (_jsErrors) Assert.True(_jsErrors.Count == 0, "JavaScript errors:\n" + string.Join('\n', _jsErrors));
    }

    /// <summary>Signs in through the form and waits for the projects page.</summary>
    public async Task SignInAsync(IPage page, string username, string password)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/account/login"));
    }

    public async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        _output.WriteLine($"screenshot: {path}");
    }

    /// <summary>The management API as the admin, for arranging state a test is not about.</summary>
    public HttpClient AdminApi()
    {
        var http = Registry.CreateClient();
        return http;
    }

    public HttpClient ApiAs(string user, string password)
    {
        var http = Registry.CreateClient(authenticated: false);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return http;
    }

    /// <summary>POST to /api/v2.0 expecting 201; returns the response body (may be empty).</summary>
    public static async Task<string> CreateAsync(HttpClient http, string path, object body)
    {
        var response = await http.PostAsJsonAsync("api/v2.0" + path, body, Json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path}: {(int)response.StatusCode} {text}");
        return text;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_portal is { HasExited: false })
        {
            _portal.Kill(entireProcessTree: true);
            _portal.WaitForExit();
        }
        _portal?.Dispose();
        _output.WriteLine("--- portal log (tail) ---\n" + PortalLog());
        await Registry.DisposeAsync();
    }
}
