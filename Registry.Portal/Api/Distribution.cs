using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;

namespace Registry.Portal.Api;

/// <summary>What one distribution API read gave: the bytes and their media type, or why there are none.</summary>
public sealed record DistributionResult(HttpStatusCode Status, byte[]? Content, string? MediaType, string? Error)
{
    public bool Ok => Content is not null;
}

/// <summary>
/// Reads what the management API does not serve — an artifact's raw manifest and its config blob —
/// through the OCI distribution API at the same base address. The session's API token is
/// exchanged at <c>/service/token</c> for one scoped to pulling the repository (the token service
/// grants only what the user may do now); reads are capped so a huge blob cannot load the portal.
/// </summary>
public sealed class Distribution(IHttpClientFactory clients, ClaimsPrincipal user)
{
    /// <summary>Manifests larger than this are not read (the registry's own limit is smaller).</summary>
    public const int MaxManifestBytes = 4 << 20;

    /// <summary>Config blobs larger than this are not read.</summary>
    public const int MaxConfigBytes = 1 << 20;

    private static readonly string[] ManifestTypes =
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ];

    private readonly Dictionary<string, string?> _tokens = new(StringComparer.Ordinal);

    /// <summary>The manifest <paramref name="digest"/> of <paramref name="repository"/> (full name), exactly as stored, checked against its digest.</summary>
    public async Task<DistributionResult> GetManifestAsync(string repository, string digest, CancellationToken cancellationToken)
    {
        var result = await ReadAsync(repository, $"/v2/{repository}/manifests/{Uri.EscapeDataString(digest)}", MaxManifestBytes, request =>
        {
            // Showing a manifest is not pulling the image: the registry leaves pull time and count alone.
            request.Headers.Add("X-Registry-Preview", "1");
            foreach (var type in ManifestTypes) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*", 0.5)); // any other artifact as it was pushed
        }, cancellationToken);
        return Verified(result, digest);
    }

    /// <summary>A blob of <paramref name="repository"/>, read only when it is at most <paramref name="maxBytes"/> long.</summary>
    public async Task<DistributionResult> GetBlobAsync(string repository, string digest, int maxBytes, CancellationToken cancellationToken) =>
        Verified(await ReadAsync(repository, $"/v2/{repository}/blobs/{Uri.EscapeDataString(digest)}", maxBytes, null, cancellationToken), digest);

    private async Task<DistributionResult> ReadAsync(string repository, string path, int maxBytes, Action<HttpRequestMessage>? prepare, CancellationToken cancellationToken)
    {
        try
        {
            var token = await TokenAsync(repository, cancellationToken);
            if (token is null) return new DistributionResult(HttpStatusCode.Unauthorized, null, null, "the token service refused a pull token for this repository");
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            prepare?.Invoke(request);
            using var response = await clients.CreateClient(ApiClientExtensions.ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                return new DistributionResult(response.StatusCode, null, null, RegistryApi.ErrorOf(response.StatusCode, text));
            }
            var tooLarge = new DistributionResult(HttpStatusCode.RequestEntityTooLarge, null, null, $"larger than {maxBytes / 1024} KiB; not shown");
            if (response.Content.Headers.ContentLength > maxBytes) return tooLarge;
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var content = await ReadCappedAsync(stream, maxBytes, cancellationToken);
            return content is null ? tooLarge : new DistributionResult(response.StatusCode, content, response.Content.Headers.ContentType?.MediaType, null);
        }
        catch (HttpRequestException e)
        {
            return new DistributionResult(HttpStatusCode.ServiceUnavailable, null, null, $"the registry cannot be reached ({e.Message})");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DistributionResult(HttpStatusCode.GatewayTimeout, null, null, "the registry did not answer in time");
        }
    }

    /// <summary>A pull token for <paramref name="repository"/>, asked for once per page.</summary>
    private async Task<string?> TokenAsync(string repository, CancellationToken cancellationToken)
    {
        if (_tokens.TryGetValue(repository, out var cached)) return cached;
        var session = user.FindFirst(RegistryApi.TokenClaim)?.Value;
        string? token = null;
        if (session is not null)
        {
            var scope = Uri.EscapeDataString($"repository:{repository}:pull");
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/service/token?service=registry&scope={scope}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session);
            using var response = await clients.CreateClient(ApiClientExtensions.ClientName).SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                try
                {
                    using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                    if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("token", out var value))
                        token = value.GetString();
                }
                catch (JsonException)
                {
                }
            }
        }
        _tokens[repository] = token;
        return token;
    }

    private static async Task<byte[]?> ReadCappedAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>Content whose hash is not the digest asked for is not shown as that digest's.</summary>
    private static DistributionResult Verified(DistributionResult result, string digest)
    {
        if (result.Content is not { } content) return result;
        var colon = digest.IndexOf(':');
        var algorithm = colon > 0 ? digest[..colon] : "";
        byte[]? hash = algorithm switch
        {
            "sha256" => SHA256.HashData(content),
            "sha512" => SHA512.HashData(content),
            _ => null,
        };
        if (hash is null || string.Equals(Convert.ToHexStringLower(hash), digest[(colon + 1)..], StringComparison.Ordinal)) return result;
        return new DistributionResult(HttpStatusCode.BadGateway, null, null, $"the registry's content does not match {digest}");
    }
}
