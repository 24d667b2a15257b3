using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests;

/// <summary>The recycle bin with a real client: skopeo pushes and deletes, the API restores, skopeo pulls the same image back.</summary>
public sealed class RecycleBinEndToEndTests(ITestOutputHelper output) : RegistryTest(output)
{
    [Fact]
    public async Task AnImageDeletedWithSkopeoIsRestoredFromTheBinAndPullsBackIdentical()
    {
        var image = await new OciLayoutBuilder(Tools, Scratch.Path)
            .WithFile("/app/hello.txt", Encoding.UTF8.GetBytes("hello from the recycle bin\n"))
            .WithFile("/app/payload.bin", SyntheticImage.RandomBytes(Random.Shared, 256 * 1024))
            .WithEnv("E2E=recyclebin")
            .BuildAsync();
        var target = $"docker://{Registry.Host}/library/binned:v1";
        var digestFile = Scratch.Combine("pushed.digest");
        await Skopeo("copy", "--format", "oci", "--digestfile", digestFile, "--dest-tls-verify=false", "--dest-creds", Registry.Credentials, image.Reference, target);
        var pushed = File.ReadAllText(digestFile).Trim();

        await Skopeo("delete", "--tls-verify=false", "--creds", Registry.Credentials, target);
        var gone = await Tools.RunFailingAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", Registry.Credentials, target]);
        Assert.True(gone.StdErr.Contains("manifest unknown", StringComparison.OrdinalIgnoreCase), Tools.Explain("inspect after delete", gone));

        using var http = Registry.CreateClient();
        var bin = await http.GetFromJsonAsync<JsonElement>("api/v2.0/projects/library/recyclebin");
        var entry = Assert.Single(bin.EnumerateArray());
        Assert.True(entry.GetProperty("digest").GetString() == pushed, Tools.Explain($"bin entry {entry}"));
        Assert.Equal("library/binned", entry.GetProperty("repository_name").GetString());
        Assert.Equal(Registry.UserName, entry.GetProperty("deleted_by").GetString());
        Assert.Equal(["v1"], entry.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        using var restored = await http.PostAsync($"api/v2.0/projects/library/recyclebin/{entry.GetProperty("id").GetInt64()}/restore", null);
        Assert.True(restored.IsSuccessStatusCode, Tools.Explain($"restore: {(int)restored.StatusCode} {await restored.Content.ReadAsStringAsync()}"));

        var back = Scratch.Combine("back-layout");
        await Skopeo("copy", "--src-tls-verify=false", "--src-creds", Registry.Credentials, target, $"oci:{back}:v1");
        var copied = OciImage.Read(back, "v1");
        Assert.True(pushed == copied.ManifestDigest, Tools.Explain($"manifest digest after restore: pushed {pushed}, pulled {copied.ManifestDigest}"));
        Assert.Equal(image.LayerDigests, copied.LayerDigests);
        Assert.Equal(image.ConfigDigest, copied.ConfigDigest);
    }

    private Task<ToolResult> Skopeo(params string[] arguments) => Tools.RunOkAsync("skopeo", arguments);
}
