using System.Net.Http.Headers;

namespace Registry.Api.Tests;

/// <summary>An image pushed by <see cref="OciClient.PushImageAsync"/>: its manifest and the blobs it references.</summary>
public sealed record PushedImage(Descriptor Manifest, byte[] Body, Descriptor Config, Descriptor Layer);

/// <summary>
/// Thin distribution-API client over the factory's HttpClient. Push helpers assert success, so a
/// test that uses them to arrange state fails early and says why.
/// </summary>
public sealed class OciClient(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, HttpContent? content = null, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        configure?.Invoke(request);
        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> GetAsync(string url, params string[] accept) =>
        SendAsync(HttpMethod.Get, url, configure: r => { foreach (var a in accept) r.Headers.Accept.ParseAdd(a); });

    public Task<HttpResponseMessage> HeadAsync(string url) => SendAsync(HttpMethod.Head, url);

    public Task<HttpResponseMessage> DeleteAsync(string url) => SendAsync(HttpMethod.Delete, url);

    /// <summary>POST <c>?digest=</c> with the whole blob (a monolithic upload).</summary>
    public Task<HttpResponseMessage> PostBlobAsync(string repository, byte[] content, string digest) =>
        SendAsync(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/?digest={digest}", Bytes(content));

    public async Task<Descriptor> PushBlobAsync(string repository, byte[] content, string mediaType = "application/octet-stream")
    {
        var descriptor = Oci.Describe(content, mediaType);
        var response = await PostBlobAsync(repository, content, descriptor.Digest);
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        return descriptor;
    }

    /// <summary>Opens an upload session and returns its location.</summary>
    public async Task<string> StartUploadAsync(string repository)
    {
        var response = await SendAsync(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/");
        await Expect.StatusAsync(response, HttpStatusCode.Accepted);
        return response.Headers.Location!.OriginalString;
    }

    public Task<HttpResponseMessage> PatchAsync(string location, byte[] chunk, string? contentRange = null) =>
        SendAsync(HttpMethod.Patch, location, Bytes(chunk), r =>
        {
            if (contentRange is not null) r.Content!.Headers.TryAddWithoutValidation("Content-Range", contentRange);
        });

    public Task<HttpResponseMessage> PutManifestAsync(string repository, string reference, byte[] body, string? mediaType)
    {
        var content = Bytes(body);
        content.Headers.ContentType = mediaType is null ? null : new MediaTypeHeaderValue(mediaType);
        return SendAsync(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}", content);
    }

    public async Task<Descriptor> PushManifestAsync(string repository, string reference, byte[] body, string mediaType)
    {
        var response = await PutManifestAsync(repository, reference, body, mediaType);
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        return Oci.Describe(body, mediaType);
    }

    /// <summary>A config, one layer and an image manifest of <paramref name="mediaType"/>, tagged <paramref name="tag"/>.</summary>
    public async Task<PushedImage> PushImageAsync(string repository, string tag, string mediaType = Oci.OciManifest,
        Descriptor? subject = null, string? artifactType = null, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var docker = mediaType == Oci.DockerManifest;
        var config = await PushBlobAsync(repository, Oci.Config(), docker ? Oci.DockerConfig : Oci.OciConfig);
        var layer = await PushBlobAsync(repository, Oci.RandomBytes(), docker ? Oci.DockerLayer : Oci.OciLayer);
        var body = Oci.Manifest(config, [layer], mediaType, artifactType, subject, annotations);
        var manifest = await PushManifestAsync(repository, tag, body, mediaType);
        return new PushedImage(manifest, body, config, layer);
    }

    public static ByteArrayContent Bytes(byte[] content)
    {
        var result = new ByteArrayContent(content);
        result.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return result;
    }
}
