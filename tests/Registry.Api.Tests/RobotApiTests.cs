using System.Net.Http.Json;

namespace Registry.Api.Tests;

/// <summary>Robot accounts: creation, the secret shown once, use with the distribution API, scope limits, disable, refresh, IDOR.</summary>
public sealed class RobotApiTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private HarborApi Admin => registry.AdminApi;

    private static object ProjectRobot(string name, string project, params string[] access) => new
    {
        name,
        level = "project",
        duration = -1,
        permissions = new[] { new { kind = "project", @namespace = project, access = access.Select(a => new { resource = a.Split(':')[0], action = a.Split(':')[1] }).ToArray() } },
    };

    private async Task<(long Id, string Name, string Secret)> CreateAsync(HarborApi api, object body)
    {
        var response = await api.PostAsync("/robots", body);
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        var created = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return (created.GetProperty("id").GetInt64(), created.GetProperty("name").GetString()!, created.GetProperty("secret").GetString()!);
    }

    [Fact]
    public async Task AProjectAdminsRobotPushesAndPullsWithItsSecretShownOnce()
    {
        await Admin.CreateProjectAsync("ci");
        var (_, password) = await Admin.CreateUserAsync("ci-lead");
        await Admin.AddMemberAsync("ci", "ci-lead", 1);
        var lead = registry.Api("ci-lead", password);
        var (id, name, secret) = await CreateAsync(lead, ProjectRobot("builder", "ci", "repository:pull", "repository:push"));
        Assert.Equal("robot$ci+builder", name);

        var robot = registry.WithBasic(name, secret);
        var image = await robot.PushImageAsync("ci/app", "v1");
        await Expect.StatusAsync(await robot.GetAsync($"/v2/ci/app/manifests/v1"), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Forbidden, (await robot.DeleteAsync($"/v2/ci/app/manifests/{image.Manifest.Digest}")).StatusCode);
        await Expect.StatusAsync(await robot.GetAsync("/v2/library/anything/tags/list"), HttpStatusCode.NotFound); // public library: readable, repo unknown
        await Expect.ErrorAsync(await robot.PostBlobAsync("library/app", [1], Oci.Digest([1])), HttpStatusCode.Forbidden, "DENIED");

        var shown = await lead.GetAsync($"/robots/{id}");
        var body = await shown.Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, body);
        Assert.DoesNotContain("pbkdf2", body);
        var listed = await lead.JsonAsync($"/robots?q=Level%3Dproject,ProjectID%3D{(await Admin.JsonAsync("/projects/ci")).GetProperty("project_id").GetInt64()}");
        Assert.Contains(listed.EnumerateArray(), r => r.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task ARobotsScopeCannotExceedItsCreators()
    {
        await Admin.CreateProjectAsync("scoped");
        await Admin.CreateProjectAsync("elsewhere");
        var (_, password) = await Admin.CreateUserAsync("scope-lead");
        await Admin.AddMemberAsync("scoped", "scope-lead", 1);
        await Admin.AddMemberAsync("elsewhere", "scope-lead", 3);
        var lead = registry.Api("scope-lead", password);

        // Guest elsewhere: may not create robots there, nor give push there.
        await HarborExpect.ErrorAsync(await lead.PostAsync("/robots", ProjectRobot("sneak", "elsewhere", "repository:pull")), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await lead.PostAsync("/robots", new
        {
            name = "wide", level = "system", duration = -1,
            permissions = new[] { new { kind = "project", @namespace = "*", access = new[] { new { resource = "repository", action = "push" } } } },
        }), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await lead.PostAsync("/robots", ProjectRobot("bogus", "scoped", "repository:fly")), HttpStatusCode.BadRequest);

        var (_, devPassword) = await Admin.CreateUserAsync("scope-dev");
        await Admin.AddMemberAsync("scoped", "scope-dev", 2);
        await HarborExpect.ErrorAsync(await registry.Api("scope-dev", devPassword).PostAsync("/robots", ProjectRobot("devbot", "scoped", "repository:pull")), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task DisablingDeletingOrRefreshingARobotTakesEffectAtOnce()
    {
        await Admin.CreateProjectAsync("ops");
        await registry.Admin.PushImageAsync("ops/app", "v1");
        var (id, name, secret) = await CreateAsync(Admin, ProjectRobot("deployer", "ops", "repository:pull"));
        var robot = registry.WithBasic(name, secret);
        await Expect.StatusAsync(await robot.GetAsync("/v2/ops/app/manifests/v1"), HttpStatusCode.OK);

        var current = await Admin.JsonAsync($"/robots/{id}");
        await Expect.StatusAsync(await Admin.PutAsync($"/robots/{id}", new
        {
            id, name, level = "project", duration = -1, disable = true, description = "off",
            permissions = current.GetProperty("permissions"),
        }), HttpStatusCode.OK);
        await Expect.StatusAsync(await robot.GetAsync("/v2/ops/app/manifests/v1"), HttpStatusCode.Unauthorized);
        await Expect.StatusAsync(await robot.GetAsync("/service/token?service=registry&scope=repository:ops/app:pull"), HttpStatusCode.Unauthorized);

        await Expect.StatusAsync(await Admin.PutAsync($"/robots/{id}", new { disable = false }), HttpStatusCode.OK);
        await Expect.StatusAsync(await robot.GetAsync("/v2/ops/app/manifests/v1"), HttpStatusCode.OK);

        var refreshed = await Expect.JsonAsync(await Admin.PatchAsync($"/robots/{id}", new { }));
        var fresh = refreshed.GetProperty("secret").GetString()!;
        Assert.NotEqual(secret, fresh);
        await Expect.StatusAsync(await robot.GetAsync("/v2/ops/app/manifests/v1"), HttpStatusCode.Unauthorized);
        await Expect.StatusAsync(await registry.WithBasic(name, fresh).GetAsync("/v2/ops/app/manifests/v1"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await Admin.PatchAsync($"/robots/{id}", new { secret = "weak" }), HttpStatusCode.BadRequest);

        await Expect.StatusAsync(await Admin.DeleteAsync($"/robots/{id}"), HttpStatusCode.OK);
        await Expect.StatusAsync(await registry.WithBasic(name, fresh).GetAsync("/v2/ops/app/manifests/v1"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnotherProjectsRobotIsOutOfReach()
    {
        await Admin.CreateProjectAsync("red");
        await Admin.CreateProjectAsync("blue");
        var (blueRobot, _, _) = await CreateAsync(Admin, ProjectRobot("bluebot", "blue", "repository:pull"));
        var (_, password) = await Admin.CreateUserAsync("red-lead");
        await Admin.AddMemberAsync("red", "red-lead", 1);
        var red = registry.Api("red-lead", password);
        await HarborExpect.ErrorAsync(await red.GetAsync($"/robots/{blueRobot}"), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await red.PatchAsync($"/robots/{blueRobot}", new { }), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await red.DeleteAsync($"/robots/{blueRobot}"), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await red.GetAsync("/robots"), HttpStatusCode.Forbidden);
        var blueId = (await Admin.JsonAsync("/projects/blue")).GetProperty("project_id").GetInt64();
        await HarborExpect.ErrorAsync(await red.GetAsync($"/robots?q=level%3Dproject,project_id%3D{blueId}"), HttpStatusCode.NotFound);
        await Expect.StatusAsync(await Admin.GetAsync($"/robots/{blueRobot}"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task ARobotOfAProjectWithAnAllDigitNameNamesItsProject()
    {
        var id = await Admin.CreateProjectAsync("2024");
        var (_, name, _) = await CreateAsync(Admin, ProjectRobot("digits", "2024", "repository:pull"));
        Assert.Equal("robot$2024+digits", name);
        _ = id;
    }

    [Fact]
    public async Task ASystemRobotCoversTheProjectsItNames()
    {
        await Admin.CreateProjectAsync("sys-a");
        await Admin.CreateProjectAsync("sys-b");
        var (_, name, secret) = await CreateAsync(Admin, new
        {
            name = "fleet", level = "system", duration = 30,
            permissions = new object[]
            {
                new { kind = "project", @namespace = "sys-a", access = new[] { new { resource = "repository", action = "push" }, new { resource = "repository", action = "pull" } } },
                new { kind = "system", @namespace = "/", access = new[] { new { resource = "project", action = "create" } } },
            },
        });
        Assert.Equal("robot$fleet", name);
        var robot = registry.WithBasic(name, secret);
        await robot.PushImageAsync("sys-a/app", "v1");
        Assert.Equal(HttpStatusCode.Forbidden, (await robot.PostBlobAsync("sys-b/app", [1], Oci.Digest([1]))).StatusCode);
        await Expect.StatusAsync(await new HarborApi(robot).PostAsync("/projects", new { project_name = "robot-made" }), HttpStatusCode.Created);
        await HarborExpect.ErrorAsync(await new HarborApi(robot).GetAsync("/users"), HttpStatusCode.Forbidden);
    }
}
