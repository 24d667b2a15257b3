using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Registry.Bench.Oci;

/// <summary>
/// The raw OCI distribution API over one pooled <see cref="HttpClient"/>: only the calls the
/// workloads make, each checking its status and failing with the exact request and response.
/// </summary>
public sealed class OciClient(Uri baseUri, AuthenticationHeaderValue? auth) : IDisposable
{
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    const int BufferSize = 256 * 1024;

    readonly HttpClient http = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 256,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        UseProxy = false,
    })
    {
        BaseAddress = baseUri,
        Timeout = TimeSpan.FromMinutes(10),
        DefaultRequestHeaders = { ExpectContinue = false },
    };

    public Uri BaseUri => baseUri;
    public AuthenticationHeaderValue? Auth => auth;

    /// <summary>Status of <c>GET /v2/</c>, or null while nothing listens yet.</summary>
    public async Task<HttpStatusCode?> ProbeAsync(bool authenticated, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            using var response = await SendAsync(Request(HttpMethod.Get, new Uri(baseUri, "/v2/"), authenticated), timeout.Token);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    public async Task ExpectAsync(HttpMethod method, string path, HttpStatusCode expected, CancellationToken ct)
    {
        using var request = Request(method, new Uri(baseUri, path));
        using var response = await SendAsync(request, ct);
        await EnsureAsync(request, response, expected, ct);
    }

    /// <summary>POST an upload session, then PUT ?digest= with the whole body: the usual docker push of a layer.</summary>
    public async Task PushMonolithicAsync(string repo, string digest, Func<HttpContent> body, CancellationToken ct)
    {
        var location = await StartUploadAsync(repo, ct);
        using var put = Request(HttpMethod.Put, WithDigest(location, digest));
        put.Content = body();
        using var response = await SendAsync(put, ct);
        await EnsureAsync(put, response, HttpStatusCode.Created, ct);
    }

    public Task PushMonolithicAsync(string repo, BlobSource blob, CancellationToken ct) =>
        PushMonolithicAsync(repo, blob.Digest, () => blob.ToContent(), ct);

    /// <summary>POST, then PATCH chunks with <c>Content-Range: start-end</c>, then an empty PUT ?digest=.</summary>
    public async Task PushChunkedAsync(string repo, BlobSource blob, int chunkSize, CancellationToken ct)
    {
        var location = await StartUploadAsync(repo, ct);
        for (long offset = 0; offset < blob.Length; offset += chunkSize)
        {
            var count = Math.Min(chunkSize, blob.Length - offset);
            using var patch = Request(HttpMethod.Patch, location);
            patch.Content = blob.ToContent(offset, count);
            patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + count - 1}");
            using var response = await SendAsync(patch, ct);
            await EnsureAsync(patch, response, HttpStatusCode.Accepted, ct);
            location = LocationOf(patch, response);
        }
        using var put = Request(HttpMethod.Put, WithDigest(location, blob.Digest));
        put.Content = new ByteArrayContent([]);
        using var done = await SendAsync(put, ct);
        await EnsureAsync(put, done, HttpStatusCode.Created, ct);
    }

    /// <summary>GET a blob, streaming and discarding it; returns the byte count after checking it (and the digest, if asked).</summary>
    public async Task<long> PullAsync(string repo, string digest, long expectedLength, CancellationToken ct, bool verifyDigest = false)
    {
        using var hash = verifyDigest ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        using var get = Request(HttpMethod.Get, new Uri(baseUri, $"/v2/{repo}/blobs/{digest}"));
        using var response = await SendAsync(get, ct);
        await EnsureAsync(get, response, HttpStatusCode.OK, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long total = 0;
        try
        {
            for (int n; (n = await body.ReadAsync(buffer, ct)) > 0;)
            {
                total += n;
                hash?.AppendData(buffer, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (total != expectedLength)
        {
            throw new RegistryRequestException($"GET {get.RequestUri} -> {(int)response.StatusCode}: body was {total} bytes, expected {expectedLength}");
        }
        if (hash is not null && BlobSource.DigestOf(hash.GetHashAndReset()) is var actual && actual != digest)
        {
            throw new RegistryRequestException($"GET {get.RequestUri} -> {(int)response.StatusCode}: body digest {actual}");
        }
        return total;
    }

    public async Task PutManifestAsync(string repo, string reference, byte[] manifest, CancellationToken ct)
    {
        using var put = Request(HttpMethod.Put, new Uri(baseUri, $"/v2/{repo}/manifests/{reference}"));
        put.Content = new ByteArrayContent(manifest) { Headers = { ContentType = new(ManifestMediaType) } };
        using var response = await SendAsync(put, ct);
        await EnsureAsync(put, response, HttpStatusCode.Created, ct);
    }

    /// <summary>GET a manifest with an OCI Accept header; returns the status and the body length.</summary>
    public async Task<(HttpStatusCode Status, int Length, string Body)> GetManifestAsync(string repo, string reference, bool authenticated, CancellationToken ct)
    {
        using var get = Request(HttpMethod.Get, ManifestUri(repo, reference), authenticated);
        get.Headers.Accept.Add(new(ManifestMediaType));
        using var response = await SendAsync(get, ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        return (response.StatusCode, body.Length,
            response.IsSuccessStatusCode ? "" : System.Text.Encoding.UTF8.GetString(body));
    }

    public Uri ManifestUri(string repo, string reference) => new(baseUri, $"/v2/{repo}/manifests/{reference}");

    async Task<Uri> StartUploadAsync(string repo, CancellationToken ct)
    {
        using var post = Request(HttpMethod.Post, new Uri(baseUri, $"/v2/{repo}/blobs/uploads/"));
        post.Content = new ByteArrayContent([]);
        using var response = await SendAsync(post, ct);
        await EnsureAsync(post, response, HttpStatusCode.Accepted, ct);
        return LocationOf(post, response);
    }

    HttpRequestMessage Request(HttpMethod method, Uri uri, bool authenticated = true) =>
        new(method, uri) { Headers = { Authorization = authenticated ? auth : null } };

    Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
        http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);

    Uri LocationOf(HttpRequestMessage request, HttpResponseMessage response)
    {
        var location = response.Headers.Location
            ?? throw new RegistryRequestException($"{request.Method} {request.RequestUri} -> {(int)response.StatusCode} without a Location header");
        return location.IsAbsoluteUri ? location : new Uri(baseUri, location);
    }

    static Uri WithDigest(Uri location, string digest) =>
        new($"{location}{(string.IsNullOrEmpty(location.Query) ? "?" : "&")}digest={Uri.EscapeDataString(digest)}");

    static async Task EnsureAsync(HttpRequestMessage request, HttpResponseMessage response, HttpStatusCode expected, CancellationToken ct)
    {
        if (response.StatusCode == expected)
        {
            return;
        }
        var body = await response.Content.ReadAsStringAsync(ct);
        var range = request.Content?.Headers.TryGetValues("Content-Range", out var r) == true ? $" Content-Range: {string.Join(",", r)}" : "";
        var length = request.Content?.Headers.ContentLength is { } l ? $" Content-Length: {l}" : "";
        throw new RegistryRequestException(
            $"{request.Method} {request.RequestUri}{length}{range} -> {(int)response.StatusCode} {response.ReasonPhrase} (expected {(int)expected}); body: {Truncate(body)}");
    }

    static string Truncate(string s) => s.Length <= 1000 ? s : s[..1000] + "...";

    public void Dispose() => http.Dispose();
}

/// <summary>A registry answered something other than what the distribution spec says; the message holds request and response.</summary>
public sealed class RegistryRequestException(string message) : Exception(message);
