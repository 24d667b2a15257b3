using System.Net.Http.Json;

namespace Registry.Api.Tests;

/// <summary>The registry for <see cref="RobotApiTests"/>, on a clock the expiry test moves forward.</summary>
public sealed class RobotFixture : ClockedRegistryFixture<OffsetClock>;

/// <summary>Robot accounts: creation, the secret shown once, use with the distribution API, scope limits, disable, refresh, expiry, IDOR.</summary>
public sealed class RobotApiTests(RobotFixture fixture) : IClassFixture<RobotFixture>
{
    private RegistryFactory Registry => fixture.Registry;

    private HarborApi Admin => Registry.AdminApi;

    private static object ProjectRobot(string name, string project, params string[] access) => ProjectRobot(name, project, -1, access);

    private static object ProjectRobot(string name, string project, int duration, params string[] access) => new
    {
        name,
        level = "project",
        duration,
        permissions = new[] { new { kind = "project", @namespace = project, access = access.Select(a => new { resource = a.Split(':')[0], action = a.Split(':')[1] }).ToArray() } },
    };

    private static async Task<(long Id, string Name, string Secret)> CreateAsync(HarborApi api, object body)
    {
        var created = await CreatedAsync(api, body);
        return (created.GetProperty("id").GetInt64(), created.GetProperty("name").GetString()!, created.GetProperty("secret").GetString()!);
    }

    private static async Task<System.Text.Json.JsonElement> CreatedAsync(HarborApi api, object body)
    {
        var response = await api.PostAsync("/robots", body);
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        return await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
    }

    [Fact]
    public async Task AProjectAdminsRobotPushesAndPullsWithItsSecretShownOnce()
    {
        await Admin.CreateProjectAsync("ci");
        var (_, password) = await Admin.CreateUserAsync("ci-lead");
        await Admin.AddMemberAsync("ci", "ci-lead", 1);
        var lead = Registry.Api("ci-lead", password);
        var (id, name, secret) = await CreateAsync(lead, ProjectRobot("builder", "ci", "repository:pull", "repository:push"));
        Assert.Equal("robot$ci+builder", name);

        var robot = Registry.WithBasic(name, secret);
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
        var lead = Registry.Api("scope-lead", password);

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
        await HarborExpect.ErrorAsync(await Registry.Api("scope-dev", devPassword).PostAsync("/robots", ProjectRobot("devbot", "scoped", "repository:pull")), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task DisablingDeletingOrRefreshingARobotTakesEffectAtOnce()
    {
        await Admin.CreateProjectAsync("ops");
        await Registry.Admin.PushImageAsync("ops/app", "v1");
        var (id, name, secret) = await CreateAsync(Admin, ProjectRobot("deployer", "ops", "repository:pull"));
        var robot = Registry.WithBasic(name, secret);
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
        await Expect.StatusAsync(await Registry.WithBasic(name, fresh).GetAsync("/v2/ops/app/manifests/v1"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await Admin.PatchAsync($"/robots/{id}", new { secret = "weak" }), HttpStatusCode.BadRequest);

        await Expect.StatusAsync(await Admin.DeleteAsync($"/robots/{id}"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Registry.WithBasic(name, fresh).GetAsync("/v2/ops/app/manifests/v1"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnotherProjectsRobotIsOutOfReach()
    {
        await Admin.CreateProjectAsync("red");
        await Admin.CreateProjectAsync("blue");
        var (blueRobot, _, _) = await CreateAsync(Admin, ProjectRobot("bluebot", "blue", "repository:pull"));
        var (_, password) = await Admin.CreateUserAsync("red-lead");
        await Admin.AddMemberAsync("red", "red-lead", 1);
        var red = Registry.Api("red-lead", password);
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
        var robot = Registry.WithBasic(name, secret);
        await robot.PushImageAsync("sys-a/app", "v1");
        Assert.Equal(HttpStatusCode.Forbidden, (await robot.PostBlobAsync("sys-b/app", [1], Oci.Digest([1]))).StatusCode);
        await Expect.StatusAsync(await new HarborApi(robot).PostAsync("/projects", new { project_name = "robot-made" }), HttpStatusCode.Created);
        await HarborExpect.ErrorAsync(await new HarborApi(robot).GetAsync("/users"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ARobotExpiresAfterItsDurationAndMinusOneNeverDoes()
    {
        await Admin.CreateProjectAsync("expiring");
        await Registry.Admin.PushImageAsync("expiring/app", "v1");
        var before = fixture.Clock.GetUtcNow();
        var created = await CreatedAsync(Admin, ProjectRobot("short-lived", "expiring", 3, "repository:pull"));
        var after = fixture.Clock.GetUtcNow();
        var (id, name, secret) = (created.GetProperty("id").GetInt64(), created.GetProperty("name").GetString()!, created.GetProperty("secret").GetString()!);
        var expiresAt = created.GetProperty("expires_at").GetInt64();
        Assert.InRange(expiresAt, before.AddDays(3).ToUnixTimeSeconds(), after.AddDays(3).ToUnixTimeSeconds());
        var shown = await Admin.JsonAsync($"/robots/{id}");
        Assert.Equal(expiresAt, shown.GetProperty("expires_at").GetInt64());
        Assert.Equal(3, shown.GetProperty("duration").GetInt32());
        var (_, foreverName, foreverSecret) = await CreateAsync(Admin, ProjectRobot("forever", "expiring", -1, "repository:pull"));
        Assert.Equal(-1, (await Admin.JsonAsync($"/robots?q=name%3D{Uri.EscapeDataString(foreverName)}"))[0].GetProperty("expires_at").GetInt64());

        var robot = Registry.WithBasic(name, secret);
        const string scope = "/service/token?service=registry&scope=repository:expiring/app:pull";
        await Expect.StatusAsync(await robot.GetAsync("/v2/expiring/app/manifests/v1"), HttpStatusCode.OK);
        await Expect.StatusAsync(await robot.GetAsync(scope), HttpStatusCode.OK);

        // A minute before the end it still works, and gets a token.
        fixture.Clock.Advance(TimeSpan.FromSeconds(expiresAt - fixture.Clock.GetUtcNow().ToUnixTimeSeconds()) - TimeSpan.FromMinutes(1));
        await Expect.StatusAsync(await robot.GetAsync("/v2/expiring/app/manifests/v1"), HttpStatusCode.OK);
        var token = (await Expect.JsonAsync(await robot.GetAsync(scope))).GetProperty("token").GetString()!;

        // Past the end: no basic auth, no token, and a token issued before no longer stands for it on the management API.
        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        await Expect.StatusAsync(await robot.GetAsync("/v2/expiring/app/manifests/v1"), HttpStatusCode.Unauthorized);
        await Expect.StatusAsync(await robot.GetAsync("/v2/"), HttpStatusCode.Unauthorized);
        await Expect.StatusAsync(await robot.GetAsync(scope), HttpStatusCode.Unauthorized);
        await HarborExpect.ErrorAsync(await new HarborApi(robot).GetAsync("/projects/expiring"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HarborExpect.ErrorAsync(await new HarborApi(Registry.WithBearer(token)).GetAsync("/projects/expiring"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        // Long after, the one that never expires still works.
        fixture.Clock.Advance(TimeSpan.FromDays(400));
        var forever = Registry.WithBasic(foreverName, foreverSecret);
        await Expect.StatusAsync(await forever.GetAsync("/v2/expiring/app/manifests/v1"), HttpStatusCode.OK);
        await Expect.StatusAsync(await forever.GetAsync(scope), HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheRobotListIsPagedWithTotalAndLinkAndSortsOnlyOnKnownFields()
    {
        await Admin.CreateProjectAsync("robot-pages");
        for (var i = 0; i < 3; i++) await CreateAsync(Admin, ProjectRobot($"pager{i}", "robot-pages", "repository:pull"));
        await PagingExpect.ThreeInPagesOfTwoAsync(Admin, "/robots?q=name%3D~robot-pages%2Bpager&sort=name", "name",
            ["robot$robot-pages+pager0", "robot$robot-pages+pager1", "robot$robot-pages+pager2"]);
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/robots?sort=secret"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/robots?sort=-level"), HttpStatusCode.BadRequest, "BAD_REQUEST");
    }

    [Fact]
    public async Task TheNamePrefixComesFromTheConfiguration()
    {
        await Admin.CreateProjectAsync("prefixed");
        await Registry.Admin.PushImageAsync("prefixed/app", "v1");
        await Expect.StatusAsync(await Admin.PutAsync("/configurations", new { robot_name_prefix = "bot-" }), HttpStatusCode.OK);
        try
        {
            Assert.Equal("bot-", (await Admin.JsonAsync("/configurations")).GetProperty("robot_name_prefix").GetProperty("value").GetString());
            var (id, name, secret) = await CreateAsync(Admin, ProjectRobot("prefixed-bot", "prefixed", "repository:pull"));
            Assert.Equal("bot-prefixed+prefixed-bot", name);
            Assert.Equal(name, (await Admin.JsonAsync($"/robots/{id}")).GetProperty("name").GetString());
            await Expect.StatusAsync(await Registry.WithBasic(name, secret).GetAsync("/v2/prefixed/app/manifests/v1"), HttpStatusCode.OK);
            var (_, system, _) = await CreateAsync(Admin, new
            {
                name = "prefixed-system", level = "system", duration = -1,
                permissions = new[] { new { kind = "system", @namespace = "/", access = new[] { new { resource = "project", action = "list" } } } },
            });
            Assert.Equal("bot-prefixed-system", system);
            // A user may not take a name a robot could have.
            await HarborExpect.ErrorAsync(await Admin.PostAsync("/users", new { username = "bot-imposter", password = "Imposter1Pass" }), HttpStatusCode.BadRequest);
        }
        finally
        {
            await Expect.StatusAsync(await Admin.PutAsync("/configurations", new { robot_name_prefix = "robot$" }), HttpStatusCode.OK);
        }
        var (_, restored, _) = await CreateAsync(Admin, ProjectRobot("after-prefix", "prefixed", "repository:pull"));
        Assert.Equal("robot$prefixed+after-prefix", restored);
    }

    [Fact]
    public async Task TheCreatorTypeTellsAUserFromARobot()
    {
        await Admin.CreateProjectAsync("creators");
        var (parentId, parentName, parentSecret) = await CreateAsync(Admin, ProjectRobot("parent", "creators", "project:read", "repository:pull", "robot:create", "robot:read", "robot:list"));
        var byUser = await Admin.JsonAsync($"/robots/{parentId}");
        Assert.Equal("local", byUser.GetProperty("creator_type").GetString());

        var parent = new HarborApi(Registry.WithBasic(parentName, parentSecret));
        var (childId, _, _) = await CreateAsync(parent, ProjectRobot("child", "creators", "repository:pull"));
        var byRobot = await Admin.JsonAsync($"/robots/{childId}");
        Assert.Equal("robot", byRobot.GetProperty("creator_type").GetString());
        Assert.Equal(parentName, byRobot.GetProperty("creator_ref").GetString());
        var listed = await Admin.JsonAsync($"/robots?q=name%3D~creators%2B");
        Assert.All(listed.EnumerateArray(), r => Assert.Contains(r.GetProperty("creator_type").GetString(), new[] { "local", "robot" }));
    }
}
