using System.Net;
using System.Text;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests;

/// <summary>podman as a user drives it: login, push in both manifest formats, pull back, anonymous pull.</summary>
public sealed class PodmanTests(ITestOutputHelper output) : RegistryTest(output)
{
    [Theory]
    [InlineData("oci")]
    [InlineData("v2s2")]
    public async Task PodmanPushesAndPullsBackTheSameDigest(string format)
    {
        using var podman = new Podman(Tools, Scratch);
        var name = $"{Registry.Host}/library/podman:{format}";
        await podman.LoadAsync(await BuildImageAsync(), name);

        await podman.RunOkAsync("login", "--authfile", podman.AuthFile, "--tls-verify=false",
            "-u", Registry.UserName, "-p", Registry.Password, Registry.Host);
        var digestFile = Scratch.Combine("pushed.digest");
        await podman.RunOkAsync("push", "--authfile", podman.AuthFile, "--tls-verify=false",
            "--format", format, "--digestfile", digestFile, name);
        var pushed = File.ReadAllText(digestFile).Trim();

        await podman.RunOkAsync("rmi", "--all", "--force");
        await podman.RunFailingAsync("image", "exists", name);

        await podman.RunOkAsync("pull", "--authfile", podman.AuthFile, "--tls-verify=false", name);
        var pulled = await podman.ImageDigestAsync(name);
        Assert.True(pushed == pulled, Tools.Explain($"podman pushed {pushed} but pulled back {pulled}"));

        using var http = Registry.CreateClient();
        var (status, body, digest, _) = await Oci("library/podman", http).GetManifestAsync(format);
        Assert.True(status == HttpStatusCode.OK && digest == pushed && OciImage.Sha256Digest(body) == pushed,
            Tools.Explain($"GET /v2/library/podman/manifests/{format}: {(int)status}, Docker-Content-Digest {digest}, " +
                          $"sha256(body) {OciImage.Sha256Digest(body)}, expected {pushed}"));
    }

    [Fact]
    public async Task AnonymousPodmanPullOfAPublicLibraryImageSucceeds()
    {
        var image = await BuildImageAsync();
        var digestFile = Scratch.Combine("pushed.digest");
        await Tools.RunOkAsync("skopeo", ["copy", "--digestfile", digestFile, "--dest-tls-verify=false",
            "--dest-creds", Registry.Credentials, image.Reference, $"docker://{Registry.Host}/library/public:v1"]);
        var pushed = File.ReadAllText(digestFile).Trim();

        using var podman = new Podman(Tools, Scratch); // empty auth file: no credentials at all
        var name = $"{Registry.Host}/library/public:v1";
        await podman.RunOkAsync("pull", "--authfile", podman.AuthFile, "--tls-verify=false", name);
        var pulled = await podman.ImageDigestAsync(name);
        Assert.True(pushed == pulled, Tools.Explain($"pushed {pushed} but anonymously pulled {pulled}"));
    }

    [Fact]
    public async Task PodmanPushWithoutLoginIsDenied()
    {
        using var podman = new Podman(Tools, Scratch);
        var name = $"{Registry.Host}/library/denied:v1";
        await podman.LoadAsync(await BuildImageAsync(), name);

        var push = await podman.RunFailingAsync("push", "--authfile", podman.AuthFile, "--tls-verify=false", name);
        string[] authWords = ["unauthorized", "authentication required", "denied", "401", "403"];
        Assert.True(authWords.Any(w => push.StdErr.Contains(w, StringComparison.OrdinalIgnoreCase)),
            Tools.Explain("push without login failed, but not for lack of credentials", push));

        using var http = Registry.CreateClient();
        var (status, _, _, _) = await Oci("library/denied", http).GetManifestAsync("v1");
        Assert.True(status == HttpStatusCode.NotFound,
            Tools.Explain($"after a refused anonymous push, GET /v2/library/denied/manifests/v1 answered {(int)status}, expected 404"));
    }

    private Task<OciImage> BuildImageAsync() =>
        new OciLayoutBuilder(Tools, Scratch.Path)
            .WithFile("/app/hello.txt", Encoding.UTF8.GetBytes("hello from podman test\n"))
            .WithFile("/app/payload.bin", SyntheticImage.RandomBytes(Random.Shared, 256 * 1024))
            .WithEntrypoint("/app/hello")
            .WithEnv("E2E=podman")
            .BuildAsync();
}
