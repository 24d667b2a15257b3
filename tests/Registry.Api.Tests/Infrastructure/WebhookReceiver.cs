using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Registry.Api.Tests;

/// <summary>One request a <see cref="WebhookReceiver"/> got.</summary>
public sealed record ReceivedHook(string Path, string? ContentType, string? Authorization, string Body, int AnsweredWith)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// A real HTTP server on a free loopback port that records what webhooks send it and answers with
/// the status codes queued in <see cref="Answers"/> (200 when the queue is empty).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ConcurrentQueue<int> Answers { get; } = new();

    public ConcurrentQueue<ReceivedHook> Received { get; } = new();

    /// <summary>Answer given when <see cref="Answers"/> is empty.</summary>
    public int DefaultAnswer { get; set; } = 200;

    public int Port { get; }

    public WebhookReceiver()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Prefixes.Add($"http://localhost:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url(string path = "/hook") => $"http://127.0.0.1:{Port}{path}";

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var status = Answers.TryDequeue(out var queued) ? queued : DefaultAnswer;
            Received.Enqueue(new ReceivedHook(context.Request.Url!.AbsolutePath, context.Request.ContentType, context.Request.Headers["Authorization"], body, status));
            context.Response.StatusCode = status;
            var answer = Encoding.UTF8.GetBytes("receiver says: not for the registry to keep");
            await context.Response.OutputStream.WriteAsync(answer);
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try { await _loop; } catch (Exception) { }
        _stop.Dispose();
    }
}
