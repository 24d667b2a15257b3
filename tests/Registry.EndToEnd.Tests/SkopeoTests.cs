using System.Text;
using System.Text.Json.Nodes;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests;

/// <summary>skopeo against the real registry: token auth, blob and manifest upload, inspect, tags, delete.</summary>
public sealed class SkopeoTests(ITestOutputHelper output) : RegistryTest(output)
{
    [Theory]
    [InlineData("oci")]
    [InlineData("v2s2")]
    public async Task SkopeoCopiesAnOciLayoutInAndBackWithIdenticalDigests(string format)
    {
        var image = await BuildImageAsync();
        var target = $"docker://{Registry.Host}/library/e2e:v1";
        var pushed = await PushAsync(image, target, format);
        if (format == "oci")
        {
            Assert.True(image.ManifestDigest == pushed, Tools.Explain($"skopeo rewrote the OCI manifest: layout {image.ManifestDigest}, pushed {pushed}."));
        }

        var inspect = JsonNode.Parse((await Skopeo("inspect", "--tls-verify=false", "--creds", Registry.Credentials, target)).StdOut)!;
        AssertEqual(pushed, (string?)inspect["Digest"], "skopeo inspect Digest");
        AssertEqual(string.Join(',', image.LayerDigests), string.Join(',', inspect["Layers"]!.AsArray().Select(l => (string?)l)), "skopeo inspect Layers");

        var raw = (await Skopeo("inspect", "--raw", "--tls-verify=false", "--creds", Registry.Credentials, target)).StdOut;
        AssertEqual(pushed, OciImage.Sha256Digest(Encoding.UTF8.GetBytes(raw)), "sha256 of the manifest bytes served");
        var expectedMediaType = format == "oci" ? OciClient.OciManifest : "application/vnd.docker.distribution.manifest.v2+json";
        using (var http = Registry.CreateClient())
        {
            var (_, _, _, contentType) = await Oci("library/e2e", http).GetManifestAsync("v1");
            AssertEqual(expectedMediaType, contentType, "Content-Type of GET /v2/library/e2e/manifests/v1");
        }

        var tags = JsonNode.Parse((await Skopeo("list-tags", "--tls-verify=false", "--creds", Registry.Credentials, $"docker://{Registry.Host}/library/e2e")).StdOut)!;
        Assert.True(tags["Tags"]!.AsArray().Any(t => (string?)t == "v1"), Tools.Explain($"list-tags lacks v1: {tags}"));

        // dir: keeps the manifest byte for byte, so its digest must be the pushed one.
        var dir = Scratch.Combine("back-dir");
        await Skopeo("copy", "--src-tls-verify=false", "--src-creds", Registry.Credentials, target, $"dir:{dir}");
        AssertEqual(pushed, OciImage.Sha256Digest(File.ReadAllBytes(Path.Combine(dir, "manifest.json"))), "digest of the manifest copied back to dir:");
        foreach (var digest in image.LayerDigests.Append(image.ConfigDigest))
        {
            var blob = Path.Combine(dir, digest["sha256:".Length..]);
            Assert.True(File.Exists(blob), Tools.Explain($"blob {digest} missing from the copy in {dir}"));
            AssertEqual(digest, OciImage.Sha256Digest(File.ReadAllBytes(blob)), "digest of a blob copied back");
        }

        var back = Scratch.Combine("back-layout");
        await Skopeo("copy", "--src-tls-verify=false", "--src-creds", Registry.Credentials, target, $"oci:{back}:v1");
        var copied = OciImage.Read(back, "v1");
        AssertEqual(string.Join(',', image.LayerDigests), string.Join(',', copied.LayerDigests), "layer digests after the round trip");
        if (format == "oci")
        {
            AssertEqual(image.ManifestDigest, copied.ManifestDigest, "manifest digest after the round trip");
            AssertEqual(image.ConfigDigest, copied.ConfigDigest, "config digest after the round trip");
        }
    }

    [Theory]
    [InlineData("oci")]
    [InlineData("v2s2")]
    public async Task SkopeoDeleteMakesTheManifestUnresolvable(string format)
    {
        var image = await BuildImageAsync();
        var target = $"docker://{Registry.Host}/library/e2e:gone";
        var pushed = await PushAsync(image, target, format);
        await Skopeo("inspect", "--tls-verify=false", "--creds", Registry.Credentials, target);

        await Skopeo("delete", "--tls-verify=false", "--creds", Registry.Credentials, target);

        var byTag = await Tools.RunFailingAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", Registry.Credentials, target]);
        Assert.True(byTag.StdErr.Contains("manifest unknown", StringComparison.OrdinalIgnoreCase),
            Tools.Explain("inspect of a deleted tag should fail with MANIFEST_UNKNOWN", byTag));
        await Tools.RunFailingAsync("skopeo",
            ["inspect", "--raw", "--tls-verify=false", "--creds", Registry.Credentials, $"docker://{Registry.Host}/library/e2e@{pushed}"]);

        var tags = await Tools.RunAsync("skopeo", ["list-tags", "--tls-verify=false", "--creds", Registry.Credentials, $"docker://{Registry.Host}/library/e2e"]);
        if (tags.Succeeded)
        {
            Assert.False(JsonNode.Parse(tags.StdOut)!["Tags"]!.AsArray().Any(t => (string?)t == "gone"), Tools.Explain("deleted tag still listed", tags));
        }
    }

    private Task<OciImage> BuildImageAsync() =>
        new OciLayoutBuilder(Tools, Scratch.Path)
            .WithFile("/app/hello.txt", Encoding.UTF8.GetBytes("hello from umoci\n"))
            .WithFile("/app/payload.bin", SyntheticImage.RandomBytes(Random.Shared, 512 * 1024))
            .WithEntrypoint("/app/run", "--serve")
            .WithEnv("E2E=skopeo")
            .BuildAsync();

    /// <summary>skopeo copy into the registry; returns the digest skopeo wrote (--digestfile).</summary>
    private async Task<string> PushAsync(OciImage image, string target, string format)
    {
        var digestFile = Scratch.Combine($"digest-{Guid.NewGuid():N}");
        await Skopeo("copy", "--format", format, "--digestfile", digestFile,
            "--dest-tls-verify=false", "--dest-creds", Registry.Credentials, image.Reference, target);
        return File.ReadAllText(digestFile).Trim();
    }

    private Task<ToolResult> Skopeo(params string[] arguments) => Tools.RunOkAsync("skopeo", arguments);

    private void AssertEqual(string? expected, string? actual, string what) =>
        Assert.True(expected == actual, Tools.Explain($"{what}: expected {expected}, got {actual}"));
}
