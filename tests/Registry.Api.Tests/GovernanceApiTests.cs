using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Api.Tests;

/// <summary>
/// Quotas (<c>/quotas</c>, storage_limit enforced over <c>/v2</c>) and immutable tag rules
/// (<c>/projects/{p}/immutabletagrules</c>, enforced on pushes and deletes).
/// </summary>
public sealed class GovernanceApiTests(RepositoryApiFixture fixture) : IClassFixture<RepositoryApiFixture>
{
    private RegistryFactory Registry => fixture.Registry;
    private OciClient Admin => Registry.Admin;
    private HarborApi AdminApi => Registry.AdminApi;

    private async Task<(long Id, string Name)> ProjectAsync(long? storageLimit = null)
    {
        var name = "gov" + Guid.NewGuid().ToString("N")[..10];
        var id = storageLimit is { } limit
            ? await AdminApi.CreateAsync("/projects", new { project_name = name, storage_limit = limit })
            : await AdminApi.CreateProjectAsync(name);
        return (id, name);
    }

    private async Task<JsonElement> QuotaAsync(long projectId) => await AdminApi.JsonAsync($"/quotas/{projectId}");

    private static long Used(JsonElement quota) => quota.GetProperty("used").GetProperty("storage").GetInt64();

    private static long Size(PushedImage image) => image.Manifest.Size + image.Config.Size + image.Layer.Size;

    // ---- quotas ----

    [Fact]
    public async Task QuotasListGetAndUpdateAProjectsLimitAndCountUsage()
    {
        var (id, name) = await ProjectAsync(storageLimit: 1 << 20);
        var listed = await AdminApi.JsonAsync($"/quotas?reference=project&reference_id={id}");
        var quota = Assert.Single(listed.EnumerateArray());
        Assert.Equal(id, quota.GetProperty("id").GetInt64());
        Assert.Equal(id, quota.GetProperty("ref").GetProperty("id").GetInt64());
        Assert.Equal(name, quota.GetProperty("ref").GetProperty("name").GetString());
        Assert.Equal("admin", quota.GetProperty("ref").GetProperty("owner_name").GetString());
        Assert.Equal(1 << 20, quota.GetProperty("hard").GetProperty("storage").GetInt64());
        Assert.Equal(0, Used(quota));
        Assert.True(quota.TryGetProperty("creation_time", out _));

        var image = await Admin.PushImageAsync($"{name}/app", "v1");
        Assert.Equal(Size(image), Used(await QuotaAsync(id)));
        var summary = await AdminApi.JsonAsync($"/projects/{name}/summary");
        Assert.Equal(Size(image), summary.GetProperty("quota").GetProperty("used").GetProperty("storage").GetInt64());
        Assert.Equal(1 << 20, summary.GetProperty("quota").GetProperty("hard").GetProperty("storage").GetInt64());

        await Expect.StatusAsync(await AdminApi.PutAsync($"/quotas/{id}", new { hard = new { storage = 5000 } }), HttpStatusCode.OK);
        Assert.Equal(5000, (await QuotaAsync(id)).GetProperty("hard").GetProperty("storage").GetInt64());
        var project = await AdminApi.JsonAsync($"/projects/{id}");
        Assert.Equal(name, project.GetProperty("name").GetString());

        await HarborExpect.ErrorAsync(await AdminApi.PutAsync($"/quotas/{id}", new { hard = new { storage = -5 } }), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await AdminApi.PutAsync($"/quotas/{id}", new { }), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await AdminApi.PutAsync("/quotas/99999999", new { hard = new { storage = 1 } }), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborExpect.ErrorAsync(await AdminApi.GetAsync("/quotas/99999999"), HttpStatusCode.NotFound, "NOT_FOUND");
        await HarborExpect.ErrorAsync(await AdminApi.GetAsync("/quotas?sort=nope"), HttpStatusCode.BadRequest, "BAD_REQUEST");

        // Sorted by usage, the busiest first; paged with X-Total-Count.
        var sorted = await AdminApi.GetAsync("/quotas?sort=-used.storage&page_size=1");
        var top = Assert.Single((await Expect.JsonAsync(sorted)).EnumerateArray());
        Assert.True(Used(top) >= Size(image));
        Assert.True(long.Parse(sorted.Headers.GetValues("X-Total-Count").Single()) >= 2);

        // Members read their project's quota; only admins list or change quotas.
        var user = "q" + Guid.NewGuid().ToString("N")[..8];
        var (_, password) = await AdminApi.CreateUserAsync(user);
        var member = Registry.Api(user, password);
        await HarborExpect.ErrorAsync(await member.GetAsync("/quotas"), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await member.GetAsync($"/quotas/{id}"), HttpStatusCode.NotFound);
        await AdminApi.AddMemberAsync(name, user, 3);
        Assert.Equal(5000, (await member.JsonAsync($"/quotas/{id}")).GetProperty("hard").GetProperty("storage").GetInt64());
        await HarborExpect.ErrorAsync(await member.PutAsync($"/quotas/{id}", new { hard = new { storage = -1 } }), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task APushOverTheStorageLimitIsDeniedNamingUsageAndLimitAndDeletesReleaseUsage()
    {
        var (id, name) = await ProjectAsync(storageLimit: 2000);
        var repo = $"{name}/app";
        var first = await Admin.PushImageAsync(repo, "v1");
        var used = Size(first);
        Assert.Equal(used, Used(await QuotaAsync(id)));

        var config = await Admin.PushBlobAsync(repo, Oci.Config(), Oci.OciConfig);
        var layer = await Admin.PushBlobAsync(repo, Oci.RandomBytes(2000), Oci.OciLayer);
        var body = Oci.Manifest(config, [layer]);
        var refused = await Admin.PutManifestAsync(repo, "v2", body, Oci.OciManifest);
        await Expect.StatusAsync(refused, HttpStatusCode.Forbidden);
        var error = await refused.Content.ReadAsStringAsync();
        Assert.Contains("DENIED", error);
        Assert.Contains($"current usage of {QuotaSql.FormatBytes(used)} will exceed the configured upper limit of {QuotaSql.FormatBytes(2000)}", error);
        Assert.Equal(used, Used(await QuotaAsync(id)));
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repo}/manifests/v2"), HttpStatusCode.NotFound);

        var events = (await Registry.Services.GetRequiredService<IOutbox>().ReadAsync(0, 10_000)).Select(e => e.Event).Where(e => e.ProjectId == id).ToList();
        var exceeded = Assert.Single(events, e => e.Type == EventTypes.QuotaExceed);
        Assert.Equal(repo, exceeded.Repository);
        Assert.Equal("admin", exceeded.Operator);
        Assert.Equal("2000", exceeded.Detail!["limit"]);
        Assert.Contains(events, e => e.Type == EventTypes.PushArtifact && e.Digest == first.Manifest.Digest && e.Operator == "admin");

        // Raising the limit lets the same push through; deleting releases exactly what it held.
        await Expect.StatusAsync(await AdminApi.PutAsync($"/quotas/{id}", new { hard = new { storage = -1 } }), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.PutManifestAsync(repo, "v2", body, Oci.OciManifest), HttpStatusCode.Created);
        Assert.Equal(used + body.Length + config.Size + layer.Size, Used(await QuotaAsync(id)));
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{repo}/manifests/{first.Manifest.Digest}"), HttpStatusCode.Accepted);
        Assert.Equal(body.Length + config.Size + layer.Size, Used(await QuotaAsync(id)));
    }

    [Fact]
    public async Task ConcurrentPushesIntoTwoRepositoriesSharingALayerKeepUsageExact()
    {
        var (id, name) = await ProjectAsync();
        var shared = Oci.RandomBytes(3000);
        var pushes = Enumerable.Range(0, 8).Select(async i =>
        {
            var repo = $"{name}/r{i % 2}";
            var layer = await Admin.PushBlobAsync(repo, shared, Oci.OciLayer);
            var config = await Admin.PushBlobAsync(repo, Oci.Config(), Oci.OciConfig);
            var body = Oci.Manifest(config, [layer]);
            await Admin.PushManifestAsync(repo, $"t{i}", body, Oci.OciManifest);
            return body.Length + config.Size;
        }).ToList();
        var sizes = await Task.WhenAll(pushes);
        Assert.Equal(3000 + sizes.Sum(), Used(await QuotaAsync(id)));
    }

    // ---- immutable tag rules ----

    private static object Rule(string tagDecoration, string tagPattern, string repoPattern = "**", bool disabled = false, string repoDecoration = "repoMatches") => new
    {
        disabled,
        action = "immutable",
        template = "immutable_template",
        tag_selectors = new[] { new { kind = "doublestar", decoration = tagDecoration, pattern = tagPattern } },
        scope_selectors = new Dictionary<string, object> { ["repository"] = new[] { new { kind = "doublestar", decoration = repoDecoration, pattern = repoPattern } } },
    };

    [Fact]
    public async Task AnImmutableTagCanBePushedOnceButNeverMovedOrDeletedAndItsRepositoryStays()
    {
        var (id, name) = await ProjectAsync();
        var repo = $"{name}/app";
        var ruleId = await AdminApi.CreateAsync($"/projects/{name}/immutabletagrules", Rule("matches", "v*"));

        var v1 = await Admin.PushImageAsync(repo, "v1");
        await Expect.StatusAsync(await Admin.PutManifestAsync(repo, "v1", v1.Body, Oci.OciManifest), HttpStatusCode.Created);
        await Expect.StatusAsync(await Admin.PutManifestAsync(repo, "v1.1", v1.Body, Oci.OciManifest), HttpStatusCode.Created);

        var other = await Admin.PushImageAsync(repo, "dev");
        var moved = await Admin.PutManifestAsync(repo, "v1", other.Body, Oci.OciManifest);
        await Expect.StatusAsync(moved, HttpStatusCode.Forbidden);
        var message = await moved.Content.ReadAsStringAsync();
        Assert.Contains("DENIED", message);
        Assert.Contains("v1", message);
        Assert.Contains($"rule {ruleId}", message);
        Assert.Equal(v1.Manifest.Digest, (await Admin.HeadAsync($"/v2/{repo}/manifests/v1")).Header("Docker-Content-Digest"));

        // A tag no rule selects moves and goes as before.
        await Expect.StatusAsync(await Admin.PutManifestAsync(repo, "dev", v1.Body, Oci.OciManifest), HttpStatusCode.Created);
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{repo}/manifests/dev"), HttpStatusCode.Accepted);

        await Expect.ErrorAsync(await Admin.DeleteAsync($"/v2/{repo}/manifests/v1"), HttpStatusCode.Forbidden, "DENIED");
        await Expect.ErrorAsync(await Admin.DeleteAsync($"/v2/{repo}/manifests/{v1.Manifest.Digest}"), HttpStatusCode.Forbidden, "DENIED");
        await HarborExpect.ErrorAsync(await AdminApi.DeleteAsync($"/projects/{name}/repositories/app/artifacts/{v1.Manifest.Digest}"), HttpStatusCode.PreconditionFailed, "PRECONDITION");
        await HarborExpect.ErrorAsync(await AdminApi.DeleteAsync($"/projects/{name}/repositories/app/artifacts/v1/tags/v1"), HttpStatusCode.PreconditionFailed, "PRECONDITION");
        await HarborExpect.ErrorAsync(await AdminApi.DeleteAsync($"/projects/{name}/repositories/app"), HttpStatusCode.PreconditionFailed, "PRECONDITION");
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repo}/manifests/v1"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.GetAsync($"/v2/{repo}/manifests/{other.Manifest.Digest}"), HttpStatusCode.OK);

        // Disabled, the rule protects nothing: at once, as the project's grain is refreshed.
        await Expect.StatusAsync(await AdminApi.PutAsync($"/projects/{name}/immutabletagrules/{ruleId}", Rule("matches", "v*", disabled: true)), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.PutManifestAsync(repo, "v1", other.Body, Oci.OciManifest), HttpStatusCode.Created);
        await Expect.StatusAsync(await AdminApi.DeleteAsync($"/projects/{name}/repositories/app"), HttpStatusCode.OK);
        _ = id;
    }

    [Fact]
    public async Task ExcludingSelectorsProtectEverythingElse()
    {
        var (_, name) = await ProjectAsync();
        await AdminApi.CreateAsync($"/projects/{name}/immutabletagrules", Rule("excludes", "dev*", repoPattern: "scratch/**", repoDecoration: "repoExcludes"));
        var a = await Admin.PushImageAsync($"{name}/app", "1.0");
        var b = await Admin.PushImageAsync($"{name}/app", "dev-1");
        await Expect.StatusAsync(await Admin.PutManifestAsync($"{name}/app", "dev-1", a.Body, Oci.OciManifest), HttpStatusCode.Created);
        await Expect.ErrorAsync(await Admin.PutManifestAsync($"{name}/app", "1.0", b.Body, Oci.OciManifest), HttpStatusCode.Forbidden, "DENIED");

        // Repositories under scratch/ are excluded.
        var c = await Admin.PushImageAsync($"{name}/scratch/tmp", "1.0");
        await Admin.PushImageAsync($"{name}/scratch/tmp", "other");
        await Expect.StatusAsync(await Admin.DeleteAsync($"/v2/{name}/scratch/tmp/manifests/1.0"), HttpStatusCode.Accepted);
        _ = c;
    }

    [Fact]
    public async Task RulesAreListedValidatedLimitedAndScopedToTheirProject()
    {
        var (id, name) = await ProjectAsync();
        var (_, otherName) = await ProjectAsync();
        var ruleId = await AdminApi.CreateAsync($"/projects/{name}/immutabletagrules", Rule("matches", "release-*", "team/**"));
        var listed = await AdminApi.GetAsync($"/projects/{id}/immutabletagrules");
        var rule = Assert.Single((await Expect.JsonAsync(listed)).EnumerateArray());
        Assert.Equal("1", listed.Headers.GetValues("X-Total-Count").Single());
        Assert.Equal(ruleId, rule.GetProperty("id").GetInt64());
        Assert.False(rule.GetProperty("disabled").GetBoolean());
        Assert.Equal("immutable", rule.GetProperty("action").GetString());
        Assert.Equal("immutable_template", rule.GetProperty("template").GetString());
        var tag = Assert.Single(rule.GetProperty("tag_selectors").EnumerateArray());
        Assert.Equal("doublestar", tag.GetProperty("kind").GetString());
        Assert.Equal("matches", tag.GetProperty("decoration").GetString());
        Assert.Equal("release-*", tag.GetProperty("pattern").GetString());
        var scope = Assert.Single(rule.GetProperty("scope_selectors").GetProperty("repository").EnumerateArray());
        Assert.Equal("repoMatches", scope.GetProperty("decoration").GetString());
        Assert.Equal("team/**", scope.GetProperty("pattern").GetString());

        await HarborExpect.ErrorAsync(await AdminApi.PostAsync($"/projects/{name}/immutabletagrules", Rule("matches", "release-*", "team/**")), HttpStatusCode.Conflict);
        await HarborExpect.ErrorAsync(await AdminApi.PostAsync($"/projects/{name}/immutabletagrules", Rule("repoMatches", "x")), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await AdminApi.PostAsync($"/projects/{name}/immutabletagrules", Rule("matches", "x", repoDecoration: "matches")), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await AdminApi.PostAsync($"/projects/{name}/immutabletagrules", Rule("matches", "[")), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await AdminApi.PostAsync($"/projects/{name}/immutabletagrules", new { disabled = false }), HttpStatusCode.BadRequest, "BAD_REQUEST");

        for (var i = 1; i < 15; i++) await AdminApi.CreateAsync($"/projects/{name}/immutabletagrules", Rule("matches", $"r{i}"));
        var limit = await HarborExpect.ErrorAsync(await AdminApi.PostAsync($"/projects/{name}/immutabletagrules", Rule("matches", "r16")), HttpStatusCode.BadRequest);
        Assert.Contains("15", limit);

        // Another project's path does not reach this project's rule.
        await HarborExpect.ErrorAsync(await AdminApi.PutAsync($"/projects/{otherName}/immutabletagrules/{ruleId}", Rule("matches", "x")), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await AdminApi.DeleteAsync($"/projects/{otherName}/immutabletagrules/{ruleId}"), HttpStatusCode.NotFound);
        await Expect.StatusAsync(await AdminApi.DeleteAsync($"/projects/{name}/immutabletagrules/{ruleId}"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await AdminApi.DeleteAsync($"/projects/{name}/immutabletagrules/{ruleId}"), HttpStatusCode.NotFound);

        // Maintainers and up manage rules; developers do not.
        var username = "d" + Guid.NewGuid().ToString("N")[..8];
        var (_, password) = await AdminApi.CreateUserAsync(username);
        await AdminApi.AddMemberAsync(name, username, 2);
        var developer = Registry.Api(username, password);
        await HarborExpect.ErrorAsync(await developer.PostAsync($"/projects/{name}/immutabletagrules", Rule("matches", "dev")), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await Registry.AnonymousApi.GetAsync($"/projects/{name}/immutabletagrules"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task DeletingAProjectTakesItsPoliciesAlongSoANewProjectOfTheSameNameStartsClean()
    {
        var (id, name) = await ProjectAsync();
        var label = await AdminApi.CreateAsync("/labels", new { name = "prod", color = "#FF0000", scope = "p", project_id = id });
        await AdminApi.CreateAsync($"/projects/{name}/immutabletagrules", Rule("matches", "v*"));
        var retention = await AdminApi.CreateAsync("/retentions", new
        {
            algorithm = "or",
            rules = new[] { new { disabled = false, action = "retain", template = "always", @params = new Dictionary<string, object>(),
                tag_selectors = new[] { new { kind = "doublestar", decoration = "matches", pattern = "**" } },
                scope_selectors = new Dictionary<string, object> { ["repository"] = new[] { new { kind = "doublestar", decoration = "repoMatches", pattern = "**" } } } } },
            trigger = new { kind = "Schedule", settings = new { cron = "" }, references = new { } },
            scope = new { level = "project", @ref = id },
        });
        await AdminApi.CreateAsync($"/projects/{name}/webhook/policies", new
        {
            name = "hook", enabled = true, event_types = new[] { "PUSH_ARTIFACT" },
            targets = new[] { new { type = "http", address = "https://hooks.example.com/x" } },
        });

        await Expect.StatusAsync(await AdminApi.DeleteAsync($"/projects/{name}"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await AdminApi.GetAsync($"/labels/{label}"), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await AdminApi.GetAsync($"/retentions/{retention}"), HttpStatusCode.NotFound);

        await AdminApi.CreateProjectAsync(name);
        Assert.Equal(0, (await AdminApi.JsonAsync($"/projects/{name}/immutabletagrules")).GetArrayLength());
        Assert.Equal(0, (await AdminApi.JsonAsync($"/projects/{name}/webhook/policies")).GetArrayLength());
        Assert.Equal(0, (await AdminApi.JsonAsync($"/labels?scope=p&project_id={(await AdminApi.JsonAsync($"/projects/{name}")).GetProperty("project_id").GetInt64()}")).GetArrayLength());
    }

    [Fact]
    public async Task ACopyIntoAProjectWithoutRoomIsRefusedWithHarborsForbiddenAndTheQuotaMessage()
    {
        var (_, source) = await ProjectAsync();
        var (targetId, target) = await ProjectAsync(storageLimit: 10);
        await Admin.PushImageAsync($"{source}/app", "v1");

        var refused = await AdminApi.PostAsync($"/projects/{target}/repositories/app/artifacts?from={Uri.EscapeDataString($"{source}/app:v1")}", null);
        var message = await HarborExpect.ErrorAsync(refused, HttpStatusCode.Forbidden, "FORBIDDEN");
        Assert.Contains("exceed the configured upper limit", message);
        Assert.Equal(0, (await AdminApi.JsonAsync($"/quotas/{targetId}")).GetProperty("used").GetProperty("storage").GetInt64());
    }
}
