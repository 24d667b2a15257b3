using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using Registry.Api.Management;

namespace Registry.Api.Webhooks;

/// <summary>Delivery settings (<c>Registry:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>How often each node looks for new events and due deliveries.</summary>
    public double PollSeconds { get; set; } = 1;

    /// <summary>Attempts per delivery before it is marked Error.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The first retry's delay; each later one doubles it (at most an hour).</summary>
    public double BackoffSeconds { get; set; } = 5;

    public double TimeoutSeconds { get; set; } = 10;

    /// <summary>How long a node owns a delivery it started; after that another node may retry it.</summary>
    public double LeaseSeconds { get; set; } = 120;

    /// <summary>The registry's host as <c>resource_url</c>s name it (default: this machine's name).</summary>
    public string? RegistryHost { get; set; }
}

/// <summary>
/// Sends webhook requests. Each connection goes to an address <see cref="TargetGuard"/> vetted in
/// the same step (its <c>ConnectCallback</c> resolves and checks, then connects to that address),
/// no proxy and no redirects are followed, and the response body is never read.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    private readonly SystemSettings _settings;
    private readonly HttpClient _verifying;
    private readonly HttpClient _skipping;

    public WebhookSender(SystemSettings settings, IOptions<WebhookOptions> options)
    {
        _settings = settings;
        var timeout = TimeSpan.FromSeconds(Math.Max(1, options.Value.TimeoutSeconds));
        _verifying = new HttpClient(Handler(skipVerify: false), disposeHandler: true) { Timeout = timeout };
        _skipping = new HttpClient(Handler(skipVerify: true), disposeHandler: true) { Timeout = timeout };
    }

    private SocketsHttpHandler Handler(bool skipVerify)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = ConnectAsync,
        };
        if (skipVerify) handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true };
        return handler;
    }

    /// <summary>Resolves the host at send time, keeps only the addresses the guard allows, and connects to one of them.</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var allowlist = await AllowlistAsync(cancellationToken);
        var addresses = await TargetGuard.ResolveAsync(context.DnsEndPoint.Host, allowlist, cancellationToken);
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    public async Task<TargetGuard.Allowlist> AllowlistAsync(CancellationToken cancellationToken) =>
        TargetGuard.ParseAllowlist((await _settings.GetAsync(cancellationToken)).WebhookAllowedTargets, out _) ?? TargetGuard.Allowlist.Empty;

    /// <summary>POSTs <paramref name="body"/>; the response's status code (the body is not read). Network failures and refusals throw.</summary>
    public async Task<int> SendAsync(string address, string? authHeader, bool skipCertVerify, string body, string contentType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, address)
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        };
        request.Content.Headers.ContentType!.CharSet = null;
        request.Headers.UserAgent.ParseAdd("Registry-Webhook/1.0");
        if (!string.IsNullOrEmpty(authHeader)) request.Headers.TryAddWithoutValidation("Authorization", authHeader);
        var client = skipCertVerify ? _skipping : _verifying;
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return (int)response.StatusCode;
    }

    public void Dispose()
    {
        _verifying.Dispose();
        _skipping.Dispose();
    }
}
