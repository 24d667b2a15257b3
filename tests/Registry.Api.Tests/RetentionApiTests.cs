using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Registry.Api.Management;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Api.Tests;

/// <summary>
/// Harbor's tag retention end to end through the API: each template, repository, tag and label
/// selectors, untagged artifacts, dry runs, the execution history with tasks and logs, the cron
/// schedule on a moved clock, the TAG_RETENTION event, validation and permissions.
/// </summary>
public sealed class RetentionApiTests(PolicyFixture fixture) : IClassFixture<PolicyFixture>
{
    private RegistryFactory Registry => fixture.Registry;
    private HarborApi Admin => Registry.AdminApi;
    private IGrainFactory Grains => Registry.Services.GetRequiredService<IGrainFactory>();

    private async Task<(string Name, long Id)> ProjectAsync()
    {
        var name = "ret" + Guid.NewGuid().ToString("N")[..10];
        return (name, await Admin.CreateProjectAsync(name));
    }

    private static object Rule(string template, int? n, string tags = "**", string repos = "**", bool untagged = false,
        string tagDecoration = "matches", string repoDecoration = "repoMatches", object? label = null)
    {
        var selectors = new List<object> { new { kind = "doublestar", decoration = tagDecoration, pattern = tags, extras = untagged ? "{\"untagged\":true}" : "{\"untagged\":false}" } };
        if (label is not null) selectors.Add(label);
        return new
        {
            disabled = false, action = "retain", template,
            @params = n is { } value ? new Dictionary<string, object> { [template] = value } : new Dictionary<string, object>(),
            tag_selectors = selectors,
            scope_selectors = new Dictionary<string, object[]> { ["repository"] = [new { kind = "doublestar", decoration = repoDecoration, pattern = repos }] },
        };
    }

    private static object Policy(long projectId, string cron, params object[] rules) => new
    {
        algorithm = "or", rules,
        trigger = new { kind = "Schedule", settings = new { cron }, references = new { } },
        scope = new { level = "project", @ref = projectId },
    };

    /// <summary>Pushes the tags in order, an hour apart.</summary>
    private async Task<Dictionary<string, string>> PushAsync(string repository, params string[] tags)
    {
        var digests = new Dictionary<string, string>();
        foreach (var tag in tags)
        {
            fixture.Clock.Advance(TimeSpan.FromHours(1));
            digests[tag] = (await Registry.Admin.PushImageAsync(repository, tag)).Manifest.Digest.ToString();
        }
        return digests;
    }

    private async Task<JsonElement> RunAsync(long policy, bool dryRun)
    {
        var response = await Admin.PostAsync($"/retentions/{policy}/executions", new { dry_run = dryRun });
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        var execution = long.Parse(response.Headers.Location!.ToString().Split('/')[^1]);
        await Grains.GetGrain<IRetentionGrain>(policy).WaitIdleAsync();
        var listed = await Admin.JsonAsync($"/retentions/{policy}/executions");
        return Assert.Single(listed.EnumerateArray(), e => e.GetProperty("id").GetInt64() == execution);
    }

    private async Task<string[]> TagsAsync(string project, string repository) =>
        [.. (await Admin.JsonAsync($"/projects/{project}/repositories/{repository}/artifacts?page_size=100")).EnumerateArray()
            .SelectMany(a => a.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Array && t.GetArrayLength() > 0
                ? t.EnumerateArray().Select(x => x.GetProperty("name").GetString()!) : ["<untagged>"])
            .Order(StringComparer.Ordinal)];

    [Fact]
    public async Task LatestPushedKeepsTheNewestAfterADryRunThatDeletedNothingWithTasksLogsAndAnEvent()
    {
        var (project, projectId) = await ProjectAsync();
        var digests = await PushAsync($"{project}/app", "v1", "v2", "v3", "v4");
        var policy = await Admin.CreateAsync("/retentions", Policy(projectId, "", Rule("latestPushedK", 2)));
        Assert.Equal(policy.ToString(), (await Admin.JsonAsync($"/projects/{project}")).GetProperty("metadata").GetProperty("retention_id").GetString());
        var listed = (await Admin.JsonAsync($"/projects?name={project}")).EnumerateArray().Single(p => p.GetProperty("name").GetString() == project);
        Assert.Equal(policy.ToString(), listed.GetProperty("metadata").GetProperty("retention_id").GetString());
        var stored = await Admin.JsonAsync($"/retentions/{policy}");
        Assert.Equal(2, stored.GetProperty("rules")[0].GetProperty("params").GetProperty("latestPushedK").GetInt32());
        Assert.Equal(projectId, stored.GetProperty("scope").GetProperty("ref").GetInt64());

        var dry = await RunAsync(policy, dryRun: true);
        Assert.Equal("Succeed", dry.GetProperty("status").GetString());
        Assert.True(dry.GetProperty("dry_run").GetBoolean());
        Assert.Equal("MANUAL", dry.GetProperty("trigger").GetString());
        Assert.Equal(["v1", "v2", "v3", "v4"], await TagsAsync(project, "app"));
        var dryTask = Assert.Single((await Admin.JsonAsync($"/retentions/{policy}/executions/{dry.GetProperty("id").GetInt64()}/tasks")).EnumerateArray());
        Assert.Equal(4, dryTask.GetProperty("total").GetInt32());
        Assert.Equal(2, dryTask.GetProperty("retained").GetInt32());
        var logResponse = await Admin.GetAsync($"/retentions/{policy}/executions/{dry.GetProperty("id").GetInt64()}/tasks/{dryTask.GetProperty("id").GetInt64()}");
        await Expect.StatusAsync(logResponse, HttpStatusCode.OK);
        Assert.StartsWith("text/plain", logResponse.Content.Headers.ContentType!.ToString());
        var log = await logResponse.Content.ReadAsStringAsync();
        Assert.Contains($"{digests["v1"]}", log);
        Assert.Contains("DEL (dry run)", log);
        Assert.Contains("RETAIN", log);

        var real = await RunAsync(policy, dryRun: false);
        Assert.Equal("Succeed", real.GetProperty("status").GetString());
        Assert.Equal(["v3", "v4"], await TagsAsync(project, "app"));
        await Expect.StatusAsync(await Registry.Admin.GetAsync($"/v2/{project}/app/manifests/{digests["v1"]}"), HttpStatusCode.NotFound);
        Assert.Equal(2, (await Admin.JsonAsync($"/retentions/{policy}/executions")).GetArrayLength());

        var events = await Registry.Services.GetRequiredService<IOutbox>().ReadAsync(0, 10_000);
        var retention = events.Select(e => e.Event).Where(e => e.Type == EventTypes.TagRetention && e.ProjectId == projectId).ToList();
        Assert.Equal(2, retention.Count);
        var last = retention[^1];
        Assert.Equal(real.GetProperty("id").GetInt64().ToString(), last.Detail!["execution_id"]);
        Assert.Equal("4", last.Detail["total"]);
        Assert.Equal("2", last.Detail["retained"]);
        Assert.Equal("2", last.Detail["deleted"]);
    }

    [Fact]
    public async Task PushedWithinDaysKeepsRecentPushesOnly()
    {
        var (project, projectId) = await ProjectAsync();
        await PushAsync($"{project}/app", "old");
        fixture.Clock.Advance(TimeSpan.FromDays(10));
        await PushAsync($"{project}/app", "new");
        var policy = await Admin.CreateAsync("/retentions", Policy(projectId, "", Rule("nDaysSinceLastPush", 7)));
        await RunAsync(policy, dryRun: false);
        Assert.Equal(["new"], await TagsAsync(project, "app"));
    }

    [Fact]
    public async Task PulledTemplatesKeepWhatWasPulledMostRecentlyOrWithinDays()
    {
        var (project, projectId) = await ProjectAsync();
        await PushAsync($"{project}/a", "p1", "p2", "p3");
        await PushAsync($"{project}/b", "q1", "q2");
        await Expect.StatusAsync(await Registry.Admin.GetAsync($"/v2/{project}/a/manifests/p1"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Registry.Admin.GetAsync($"/v2/{project}/b/manifests/q1"), HttpStatusCode.OK);
        await Registry.Services.GetRequiredService<PullRecorder>().FlushAsync();
        fixture.Clock.Advance(TimeSpan.FromDays(3));
        await Expect.StatusAsync(await Registry.Admin.GetAsync($"/v2/{project}/b/manifests/q2"), HttpStatusCode.OK);
        await Registry.Services.GetRequiredService<PullRecorder>().FlushAsync();

        var policy = await Admin.CreateAsync("/retentions", Policy(projectId, "",
            Rule("latestPulledN", 1, repos: "a"), Rule("nDaysSinceLastPull", 2, repos: "b")));
        await RunAsync(policy, dryRun: false);
        Assert.Equal(["p1"], await TagsAsync(project, "a"));
        Assert.Equal(["q2"], await TagsAsync(project, "b"));
    }

    [Fact]
    public async Task SelectorsChooseRepositoriesTagsUntaggedAndLabelsAndRulesAreOred()
    {
        var (project, projectId) = await ProjectAsync();
        await PushAsync($"{project}/svc", "release-1", "release-2", "dev-1", "dev-2");
        await PushAsync($"{project}/keep", "k1");
        var untagged = await PushAsync($"{project}/svc", "temp");
        await Expect.StatusAsync(await Registry.Admin.DeleteAsync($"/v2/{project}/svc/manifests/temp"), HttpStatusCode.Accepted);
        var label = await Admin.CreateAsync("/labels", new { name = "pinned", scope = "p", project_id = projectId });
        await Expect.StatusAsync(await Admin.PostAsync($"/projects/{project}/repositories/svc/artifacts/dev-1/labels", new { id = label }), HttpStatusCode.OK);

        var policy = await Admin.CreateAsync("/retentions", Policy(projectId, "",
            Rule("always", null, tags: "release-*", repos: "keep", repoDecoration: "repoExcludes"),
            Rule("always", null, repos: "svc", label: new { kind = "label", decoration = "withLabels", pattern = "pinned" })));
        var execution = await RunAsync(policy, dryRun: false);
        Assert.Equal(["dev-1", "release-1", "release-2"], await TagsAsync(project, "svc"));
        Assert.Equal(["k1"], await TagsAsync(project, "keep"));
        var tasks = await Admin.JsonAsync($"/retentions/{policy}/executions/{execution.GetProperty("id").GetInt64()}/tasks");
        Assert.Equal($"{project}/svc", Assert.Single(tasks.EnumerateArray()).GetProperty("repository").GetString());

        // Untagged artifacts are kept only when a selector asks for them.
        await PushAsync($"{project}/loose", "x");
        await Expect.StatusAsync(await Registry.Admin.DeleteAsync($"/v2/{project}/loose/manifests/x"), HttpStatusCode.Accepted);
        await Expect.StatusAsync(await Admin.PutAsync($"/retentions/{policy}", Policy(projectId, "", Rule("always", null, tags: "nothing", repos: "loose", untagged: true))),
            HttpStatusCode.OK);
        await RunAsync(policy, dryRun: false);
        Assert.Equal(["<untagged>"], await TagsAsync(project, "loose"));
        _ = untagged;
    }

    [Fact]
    public async Task ACronPolicyRunsWhenTheScheduleIsDue()
    {
        var (project, projectId) = await ProjectAsync();
        await PushAsync($"{project}/app", "a", "b", "c");
        var policy = await Admin.CreateAsync("/retentions", Policy(projectId, "0 0 * * * *", Rule("latestPushedK", 1)));
        var scheduler = Grains.GetGrain<IRetentionSchedulerGrain>(IRetentionSchedulerGrain.Key);
        var store = Registry.Services.GetRequiredService<IRetentionStore>();
        Assert.Equal(0, (await store.ListExecutionsAsync(policy, 0, 10)).Total);

        fixture.Clock.Advance(TimeSpan.FromHours(2));
        Assert.True(await scheduler.RunDueAsync() >= 1);
        await Grains.GetGrain<IRetentionGrain>(policy).WaitIdleAsync();
        var execution = Assert.Single((await store.ListExecutionsAsync(policy, 0, 10)).Items);
        Assert.Equal("SCHEDULE", execution.Trigger);
        Assert.Equal(RetentionStatus.Succeed, execution.Status);
        Assert.Equal(["c"], await TagsAsync(project, "app"));
        // Not due again until the next hour.
        await scheduler.RunDueAsync();
        Assert.Equal(1, (await store.ListExecutionsAsync(policy, 0, 10)).Total);
    }

    [Fact]
    public async Task PoliciesAreValidatedOnePerProjectAndNeedMaintainers()
    {
        var (project, projectId) = await ProjectAsync();
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/retentions", Policy(projectId, "", Enumerable.Range(0, 16).Select(_ => Rule("always", null)).ToArray())),
            HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/retentions", Policy(projectId, "", Rule("keepEverything", 1))), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/retentions", Policy(projectId, "", Rule("latestPushedK", null))), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/retentions", Policy(projectId, "every day", Rule("always", null))), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/retentions", Policy(projectId, "", Rule("always", null, tags: "[bad"))), HttpStatusCode.BadRequest);

        var username = "dev" + Guid.NewGuid().ToString("N")[..8];
        var (_, password) = await Admin.CreateUserAsync(username);
        await Admin.AddMemberAsync(project, username, ProjectRoles.Developer);
        var developer = Registry.Api(username, password);
        await HarborExpect.ErrorAsync(await developer.PostAsync("/retentions", Policy(projectId, "", Rule("always", null))), HttpStatusCode.Forbidden);

        var policy = await Admin.CreateAsync("/retentions", Policy(projectId, "", Rule("always", null)));
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/retentions", Policy(projectId, "", Rule("always", null))), HttpStatusCode.Conflict);
        await HarborExpect.ErrorAsync(await developer.PostAsync($"/retentions/{policy}/executions", new { dry_run = true }), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await developer.GetAsync($"/retentions/{policy}/executions"), HttpStatusCode.Forbidden);

        var (_, otherId) = await ProjectAsync();
        var other = await Admin.CreateAsync("/retentions", Policy(otherId, "", Rule("always", null)));
        await HarborExpect.ErrorAsync(await developer.GetAsync($"/retentions/{other}"), HttpStatusCode.NotFound);

        var metadata = await developer.JsonAsync("/retentions/metadatas");
        Assert.Equal(["latestPushedK", "latestPulledN", "nDaysSinceLastPush", "nDaysSinceLastPull", "always"],
            metadata.GetProperty("templates").EnumerateArray().Select(t => t.GetProperty("rule_template").GetString()!).ToArray());

        await Expect.StatusAsync(await Admin.DeleteAsync($"/retentions/{policy}"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await Admin.GetAsync($"/retentions/{policy}"), HttpStatusCode.NotFound);
        Assert.False((await Admin.JsonAsync($"/projects/{project}")).GetProperty("metadata").TryGetProperty("retention_id", out _));
    }
}
