using System.Net;
using System.Text;
using Registry.Bench.Oci;

namespace Registry.Bench.Workloads;

/// <summary>A minimal OCI image (config + one layer + manifest) to push and then read back.</summary>
public sealed class ImageFixture
{
    readonly BlobSource layer = new(Seeds.Next(), 64 * 1024);
    readonly byte[] config;

    public ImageFixture()
    {
        config = Encoding.UTF8.GetBytes(
            $$"""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["{{layer.Digest}}"]},"history":[{"created_by":"registry bench"}]}""");
        Manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{OciClient.ManifestMediaType}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{BlobSource.DigestOfContent(config)}}","size":{{config.Length}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{{layer.Digest}}","size":{{layer.Length}}}]}
            """.Trim());
    }

    public byte[] Manifest { get; }

    public async Task PushAsync(OciClient client, string repo, string tag, CancellationToken ct)
    {
        await client.PushMonolithicAsync(repo, layer, ct);
        await client.PushMonolithicAsync(repo, BlobSource.DigestOfContent(config), () => new ByteArrayContent(config), ct);
        await client.PutManifestAsync(repo, tag, Manifest, ct);
    }

    /// <summary>
    /// Reads the manifest back once, anonymously if the registry allows it (ours does on "library"),
    /// else with credentials; returns whether credentials are needed.
    /// </summary>
    public async Task<bool> CheckReadableAsync(OciClient client, string repo, string tag, IRecorder recorder, CancellationToken ct)
    {
        var authenticated = false;
        var got = await client.GetManifestAsync(repo, tag, authenticated, ct);
        if (got.Status == HttpStatusCode.Unauthorized && client.Auth is not null)
        {
            recorder.Note($"anonymous GET {client.ManifestUri(repo, tag)} -> 401 ({got.Body.Trim()}); measured with Basic auth instead");
            authenticated = true;
            got = await client.GetManifestAsync(repo, tag, authenticated, ct);
        }
        if (got.Status != HttpStatusCode.OK || got.Length != Manifest.Length)
        {
            throw new RegistryRequestException(
                $"GET {client.ManifestUri(repo, tag)} (Accept: {OciClient.ManifestMediaType}) -> {(int)got.Status}, {got.Length} bytes (expected 200, {Manifest.Length} bytes); body: {got.Body}");
        }
        return authenticated;
    }
}
