using System.Net.Http.Json;
using System.Text;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests;

/// <summary>skopeo against a project's storage limit and an immutable tag: both pushes are refused with the registry's message.</summary>
public sealed class GovernanceSkopeoTests(ITestOutputHelper output) : RegistryTest(output)
{
    [Fact]
    public async Task SkopeoPushesAreRefusedOverTheQuotaAndWhenTheyWouldMoveAnImmutableTag()
    {
        using var api = Registry.CreateClient();
        var created = await api.PostAsJsonAsync("api/v2.0/projects", new { project_name = "governed", storage_limit = 100 * 1024 });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var rule = await api.PostAsJsonAsync("api/v2.0/projects/governed/immutabletagrules", new
        {
            disabled = false,
            tag_selectors = new[] { new { kind = "doublestar", decoration = "matches", pattern = "v*" } },
            scope_selectors = new Dictionary<string, object> { ["repository"] = new[] { new { kind = "doublestar", decoration = "repoMatches", pattern = "**" } } },
        });
        Assert.True(rule.IsSuccessStatusCode, await rule.Content.ReadAsStringAsync());

        var first = await BuildImageAsync("first");
        var target = $"docker://{Registry.Host}/governed/app:v1";
        var refused = await CopyAsync(first, target);
        Assert.False(refused.Succeeded, Tools.Explain("a 512 KiB image was pushed into a 100 KiB quota"));
        Assert.True(refused.StdErr.Contains("exceed the configured upper limit of 100 KiB", StringComparison.Ordinal), Tools.Explain($"skopeo's error lacks the quota message: {refused.StdErr}"));

        var raised = await api.PutAsJsonAsync("api/v2.0/quotas/" + await ProjectIdAsync(api), new { hard = new { storage = -1 } });
        Assert.True(raised.IsSuccessStatusCode, await raised.Content.ReadAsStringAsync());
        var pushed = await CopyAsync(first, target);
        Assert.True(pushed.Succeeded, Tools.Explain($"the push failed after the limit was lifted: {pushed.StdErr}"));

        var second = await BuildImageAsync("second");
        var moved = await CopyAsync(second, target);
        Assert.False(moved.Succeeded, Tools.Explain("skopeo moved an immutable tag"));
        Assert.True(moved.StdErr.Contains("immutable", StringComparison.Ordinal), Tools.Explain($"skopeo's error lacks the immutability message: {moved.StdErr}"));
        var other = await CopyAsync(second, $"docker://{Registry.Host}/governed/app:latest");
        Assert.True(other.Succeeded, Tools.Explain($"a tag no rule selects was refused: {other.StdErr}"));

        var quota = await api.GetFromJsonAsync<System.Text.Json.JsonElement>("api/v2.0/quotas/" + await ProjectIdAsync(api));
        Assert.True(quota.GetProperty("used").GetProperty("storage").GetInt64() > 2 * 512 * 1024 / 2, $"usage after two pushes: {quota}");
    }

    private static async Task<long> ProjectIdAsync(HttpClient api) =>
        (await api.GetFromJsonAsync<System.Text.Json.JsonElement>("api/v2.0/projects/governed")).GetProperty("project_id").GetInt64();

    private Task<OciImage> BuildImageAsync(string name) =>
        new OciLayoutBuilder(Tools, Scratch.Path)
            .WithFile("/app/hello.txt", Encoding.UTF8.GetBytes($"hello from {name}\n"))
            .WithFile("/app/payload.bin", SyntheticImage.RandomBytes(Random.Shared, 512 * 1024))
            .BuildAsync(layoutName: name);

    private Task<ToolResult> CopyAsync(OciImage image, string target) =>
        Tools.RunAsync("skopeo", ["copy", "--retry-times", "0", "--dest-tls-verify=false", "--dest-creds", Registry.Credentials, image.Reference, target]);
}
