using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests.Portal;

/// <summary>
/// An unhandled exception in the portal is its error page with a trace id, never a stack trace,
/// in Development too (the AppHost's default environment, where ASP.NET Core would otherwise
/// show the developer exception page). The exception is provoked by an API that answers the
/// sign-in's token request with something that is not JSON.
/// </summary>
public sealed class ErrorPageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<string> _log = [];
    private HttpListener? _api;
    private Process? _portal;

    [Fact]
    public async Task AnExceptionInDevelopmentShowsTheErrorPageAndNoStackTrace()
    {
        var apiAddress = StartBrokenApi();
        (_portal, var portalAddress) = await PortalSite.StartPortalProcessAsync(apiAddress, _log,
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" });

        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = portalAddress };
        var login = await http.GetStringAsync("account/login");
        var token = Regex.Match(login, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);

        using var response = await http.PostAsync("account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Username"] = "admin", ["Password"] = "whatever", ["__RequestVerificationToken"] = token,
        }));
        var body = await response.Content.ReadAsStringAsync();
        output.WriteLine(body);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain("JsonException", body);
        Assert.DoesNotContain("Stack", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"\bat Registry\.", body);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Something went wrong", body);
        Assert.Matches("<code>[^<\\s]+</code>", body); // the trace id to quote
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single()); // the layout's headers still apply
        await LogShowsAsync("Hosting environment: Development");
        await LogShowsAsync("System.Text.Json.JsonException"); // the log has what the page hides
    }

    private async Task LogShowsAsync(string text)
    {
        for (var i = 0; i < 50; i++)
        {
            lock (_log) if (_log.Any(line => line.Contains(text, StringComparison.Ordinal))) return;
            await Task.Delay(100);
        }
        Assert.Fail($"the portal log does not show '{text}'");
    }

    /// <summary>An API whose token service answers 200 with a body that is not JSON; anything else is 404.</summary>
    private Uri StartBrokenApi()
    {
        var port = FreePorts.Take(1)[0];
        var address = new Uri($"http://127.0.0.1:{port}/");
        _api = new HttpListener();
        _api.Prefixes.Add(address.ToString());
        _api.Start();
        _ = Task.Run(async () =>
        {
            while (_api.IsListening)
            {
                HttpListenerContext context;
                try { context = await _api.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
                var broken = context.Request.Url?.AbsolutePath == "/service/token";
                context.Response.StatusCode = broken ? 200 : 404;
                context.Response.ContentType = "application/json";
                var bytes = Encoding.UTF8.GetBytes(broken ? "this is not JSON" : "{\"errors\":[{\"code\":\"NOT_FOUND\",\"message\":\"not here\"}]}");
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        });
        return address;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (_portal is { HasExited: false })
        {
            _portal.Kill(entireProcessTree: true);
            _portal.WaitForExit();
        }
        _portal?.Dispose();
        lock (_log) output.WriteLine("--- portal log (tail) ---\n" + string.Join('\n', _log.TakeLast(100)));
        if (_api is not null)
        {
            _api.Stop();
            _api.Close();
        }
        return Task.CompletedTask;
    }
}
