using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Registry.EndToEnd.Tests.Infrastructure;

namespace Registry.EndToEnd.Tests;

/// <summary>
/// Users, projects and robot accounts made through the Harbor API, used by real clients: a CI
/// robot pushes with skopeo, a developer logs in with podman and pulls, a guest cannot push, and
/// an outsider sees nothing of a private project.
/// </summary>
public sealed class AccessEndToEndTests(ITestOutputHelper output) : RegistryTest(output)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, object body)
    {
        var response = await http.PostAsJsonAsync("api/v2.0" + path, body, Json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, Tools.Explain($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}"));
        return response;
    }

    private HttpClient ClientAs(string user, string password)
    {
        var http = Registry.CreateClient(authenticated: false);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return http;
    }

    [Fact]
    public async Task ACiRobotPushesADeveloperPullsWithPodmanAGuestCannotPushAndAnOutsiderSeesNothing()
    {
        using var admin = Registry.CreateClient();
        await PostAsync(admin, "/projects", new { project_name = "team", metadata = new { @public = "false" } });
        foreach (var (name, role) in new[] { ("dev", 2), ("guest", 3), ("outsider", 0) })
        {
            await PostAsync(admin, "/users", new { username = name, email = $"{name}@example.org", password = "E2e-Pass1" + name });
            if (role > 0) await PostAsync(admin, "/projects/team/members", new { role_id = role, member_user = new { username = name } });
        }
        using var devApi = ClientAs("dev", "E2e-Pass1dev");
        // A developer may not create robots; the project admin (here: the system admin) does.
        var denied = await devApi.PostAsJsonAsync("api/v2.0/robots", RobotBody(), Json);
        Assert.True(denied.StatusCode == HttpStatusCode.Forbidden, Tools.Explain($"developer creating a robot: {(int)denied.StatusCode}"));
        var created = await (await PostAsync(admin, "/robots", RobotBody())).Content.ReadFromJsonAsync<JsonElement>();
        var robot = created.GetProperty("name").GetString()!;
        var secret = created.GetProperty("secret").GetString()!;
        Assert.Equal("robot$team+ci", robot);

        var image = await new OciLayoutBuilder(Tools, Scratch.Path)
            .WithFile("/app/hello.txt", Encoding.UTF8.GetBytes("hello from the CI robot\n"))
            .WithEntrypoint("/app/hello")
            .BuildAsync();
        var digestFile = Scratch.Combine("pushed.digest");
        await Tools.RunOkAsync("skopeo", ["copy", "--digestfile", digestFile, "--dest-tls-verify=false",
            "--dest-creds", $"{robot}:{secret}", image.Reference, $"docker://{Registry.Host}/team/app:1.0"]);
        var pushed = File.ReadAllText(digestFile).Trim();

        using (var podman = new Podman(Tools, Scratch))
        {
            await podman.RunOkAsync("login", "--authfile", podman.AuthFile, "--tls-verify=false", "-u", "dev", "-p", "E2e-Pass1dev", Registry.Host);
            await podman.RunOkAsync("pull", "--authfile", podman.AuthFile, "--tls-verify=false", $"{Registry.Host}/team/app:1.0");
            Assert.Equal(pushed, await podman.ImageDigestAsync($"{Registry.Host}/team/app:1.0"));
        }

        var guestPush = await Tools.RunFailingAsync("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds", "guest:E2e-Pass1guest",
            image.Reference, $"docker://{Registry.Host}/team/app:guest"]);
        Assert.Contains("denied", guestPush.StdErr, StringComparison.OrdinalIgnoreCase);
        await Tools.RunOkAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", "guest:E2e-Pass1guest", $"docker://{Registry.Host}/team/app:1.0"]);

        var outsider = await Tools.RunFailingAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", "outsider:E2e-Pass1outsider", $"docker://{Registry.Host}/team/app:1.0"]);
        Assert.DoesNotContain(pushed, outsider.StdOut + outsider.StdErr);
        using var outsiderApi = ClientAs("outsider", "E2e-Pass1outsider");
        var projects = await outsiderApi.GetFromJsonAsync<JsonElement>("api/v2.0/projects");
        Assert.DoesNotContain(projects.EnumerateArray(), p => p.GetProperty("name").GetString() == "team");

        // The robot's secret, refreshed, stops the old one at once.
        var robotId = created.GetProperty("id").GetInt64();
        var patched = await admin.PatchAsJsonAsync($"api/v2.0/robots/{robotId}", new { }, Json);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        await Tools.RunFailingAsync("skopeo", ["inspect", "--tls-verify=false", "--creds", $"{robot}:{secret}", $"docker://{Registry.Host}/team/app:1.0"]);
    }

    private static object RobotBody() => new
    {
        name = "ci",
        description = "pushes from CI",
        level = "project",
        duration = -1,
        permissions = new[]
        {
            new { kind = "project", @namespace = "team", access = new[] { new { resource = "repository", action = "push" }, new { resource = "repository", action = "pull" } } },
        },
    };
}
