using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Raw OCI Distribution calls for one repository, for tests that need control over individual
/// requests (chunk boundaries, the moment of a kill). Unexpected answers fail the test with the
/// request, the response and the registry log tail.
/// </summary>
public sealed class OciClient(HttpClient http, string repository, Func<string> registryLog)
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";

    public string Repository => repository;

    /// <summary>POST + single PUT with the digest: the plain monolithic upload.</summary>
    public async Task<string> PushBlobAsync(byte[] content)
    {
        var digest = OciImage.Sha256Digest(content);
        var location = await StartUploadAsync();
        using var put = new HttpRequestMessage(HttpMethod.Put, WithDigest(location, digest)) { Content = Octets(content) };
        using var response = await http.SendAsync(put);
        await ExpectAsync(response, HttpStatusCode.Created, $"PUT {put.RequestUri} ({content.Length} bytes)");
        return digest;
    }

    public async Task<Uri> StartUploadAsync()
    {
        using var response = await http.PostAsync($"v2/{repository}/blobs/uploads/", null);
        await ExpectAsync(response, HttpStatusCode.Accepted, $"POST /v2/{repository}/blobs/uploads/");
        return Resolve(response);
    }

    /// <summary>PATCHes one chunk at <paramref name="offset"/> (spec form <c>Content-Range: start-end</c>) and returns the next location.</summary>
    public async Task<Uri> PatchChunkAsync(Uri location, byte[] chunk, long offset)
    {
        using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = Octets(chunk) };
        patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + chunk.Length - 1}");
        using var response = await http.SendAsync(patch);
        await ExpectAsync(response, HttpStatusCode.Accepted, $"PATCH {location} Content-Range {offset}-{offset + chunk.Length - 1}");
        return Resolve(response);
    }

    public async Task<HttpResponseMessage> PutManifestAsync(string reference, byte[] manifest, string mediaType = OciManifest)
    {
        var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return await http.PutAsync($"v2/{repository}/manifests/{reference}", content);
    }

    /// <summary>GET of a manifest: status, body, the Docker-Content-Digest header and the Content-Type.</summary>
    public async Task<(HttpStatusCode Status, byte[] Body, string? Digest, string? ContentType)> GetManifestAsync(string reference)
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/manifests/{reference}");
        get.Headers.Accept.ParseAdd(OciManifest);
        get.Headers.Accept.ParseAdd("application/vnd.oci.image.index.v1+json");
        get.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        using var response = await http.SendAsync(get);
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : null;
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), digest, response.Content.Headers.ContentType?.MediaType);
    }

    public async Task<HttpStatusCode> HeadBlobAsync(string digest)
    {
        using var head = new HttpRequestMessage(HttpMethod.Head, $"v2/{repository}/blobs/{digest}");
        using var response = await http.SendAsync(head);
        return response.StatusCode;
    }

    public async Task<byte[]> GetBlobAsync(string digest)
    {
        using var response = await http.GetAsync($"v2/{repository}/blobs/{digest}");
        await ExpectAsync(response, HttpStatusCode.OK, $"GET /v2/{repository}/blobs/{digest}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>All tags, following <c>Link</c> pagination.</summary>
    public async Task<List<string>> ListTagsAsync()
    {
        var tags = new List<string>();
        string? next = $"v2/{repository}/tags/list";
        while (next is not null)
        {
            using var response = await http.GetAsync(next);
            await ExpectAsync(response, HttpStatusCode.OK, $"GET {next}");
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            tags.AddRange(body["tags"]?.AsArray().Select(t => (string)t!) ?? []);
            next = response.Headers.TryGetValues("Link", out var links)
                ? links.First().Split(';')[0].Trim().TrimStart('<').TrimEnd('>').TrimStart('/')
                : null;
        }
        return tags;
    }

    /// <summary>Fails the test with the full exchange unless the response has the expected status.</summary>
    public async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode expected, string request)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Fail(
                $"{request}\nexpected {(int)expected} {expected}, got {(int)response.StatusCode} {response.StatusCode}\n" +
                $"response headers:\n{response.Headers}{response.Content.Headers}\nbody: {body}\n" +
                $"--- registry log (tail) ---\n{registryLog()}");
        }
    }

    private static ByteArrayContent Octets(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private Uri Resolve(HttpResponseMessage response) =>
        response.Headers.Location is { } location
            ? new Uri(http.BaseAddress!, location)
            : throw new InvalidOperationException($"{(int)response.StatusCode} without a Location header.\n{registryLog()}");

    private static Uri WithDigest(Uri location, string digest) =>
        new(location + (location.Query.Length > 0 ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest));
}
