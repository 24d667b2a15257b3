using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests;

/// <summary>Tag retention against the real registry: skopeo pushes four tags, a policy keeps the two most recent, and the others are gone for skopeo too.</summary>
public sealed class RetentionEndToEndTests(ITestOutputHelper output) : RegistryTest(output)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    [Fact]
    public async Task RetentionKeepsTheMostRecentlyPushedTagsAndDeletesTheRest()
    {
        using var http = Registry.CreateClient();
        var created = await http.PostAsJsonAsync("api/v2.0/projects", new { project_name = "keep", metadata = new { @public = "false" } }, Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var projectId = long.Parse(created.Headers.Location!.ToString().Split('/')[^1]);

        foreach (var tag in (string[])["v1", "v2", "v3", "v4"])
        {
            var image = await new OciLayoutBuilder(Tools, Directory.CreateDirectory(Scratch.Combine(tag)).FullName)
                .WithFile("/app/version.txt", Encoding.UTF8.GetBytes($"version {tag}\n"))
                .BuildAsync();
            await Tools.RunOkAsync("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds", Registry.Credentials, image.Reference, $"docker://{Registry.Host}/keep/app:{tag}"]);
            await Task.Delay(20); // distinct push times
        }

        var policy = await http.PostAsJsonAsync("api/v2.0/retentions", new
        {
            algorithm = "or",
            rules = new[]
            {
                new
                {
                    disabled = false, action = "retain", template = "latestPushedK",
                    @params = new Dictionary<string, object> { ["latestPushedK"] = 2 },
                    tag_selectors = new[] { new { kind = "doublestar", decoration = "matches", pattern = "**", extras = "{\"untagged\":true}" } },
                    scope_selectors = new Dictionary<string, object[]> { ["repository"] = [new { kind = "doublestar", decoration = "repoMatches", pattern = "**" }] },
                },
            },
            trigger = new { kind = "Schedule", settings = new { cron = "" }, references = new { } },
            scope = new { level = "project", @ref = projectId },
        }, Json);
        Assert.True(policy.StatusCode == HttpStatusCode.Created, await policy.Content.ReadAsStringAsync());
        var policyId = policy.Headers.Location!.ToString().Split('/')[^1];

        var run = await http.PostAsJsonAsync($"api/v2.0/retentions/{policyId}/executions", new { dry_run = false }, Json);
        Assert.Equal(HttpStatusCode.Created, run.StatusCode);
        var status = "Running";
        for (var i = 0; i < 100 && status == "Running"; i++)
        {
            await Task.Delay(100);
            var executions = JsonNode.Parse(await http.GetStringAsync($"api/v2.0/retentions/{policyId}/executions"))!.AsArray();
            status = (string)executions[0]!["status"]!;
        }
        Assert.True(status == "Succeed", Tools.Explain($"retention ended {status}"));

        var tags = JsonNode.Parse((await Tools.RunOkAsync("skopeo", ["list-tags", "--tls-verify=false", "--creds", Registry.Credentials, $"docker://{Registry.Host}/keep/app"])).StdOut)!;
        Assert.Equal(["v3", "v4"], tags["Tags"]!.AsArray().Select(t => (string)t!).Order().ToArray());
        await Tools.RunFailingAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", Registry.Credentials, $"docker://{Registry.Host}/keep/app:v1"]);
        await Tools.RunOkAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", Registry.Credentials, $"docker://{Registry.Host}/keep/app:v4"]);
    }
}
