using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Registry.Api.Management;
using Registry.Api.Webhooks;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Api.Tests;

/// <summary>The registry for <see cref="WebhookTests"/>: the background loops idle, so tests drive delivery and pull flushes themselves; fast retries.</summary>
public sealed class WebhookFixture : IAsyncLifetime
{
    public RegistryFactory Registry { get; } = new()
    {
        Customize = b =>
        {
            b.UseSetting("Registry:Webhooks:PollSeconds", "3600");
            b.UseSetting("Registry:Webhooks:BackoffSeconds", "0.1");
            b.UseSetting("Registry:Webhooks:MaxAttempts", "3");
            b.UseSetting("Registry:Webhooks:RegistryHost", "registry.test");
            b.UseSetting("Registry:PullFlushSeconds", "3600");
        },
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Registry.DisposeAsync();
}

/// <summary>
/// Webhooks end to end: policies through Harbor's API, events from the outbox delivered to a real
/// local HTTP receiver in Harbor's default format, CloudEvents and Slack's; retries with backoff,
/// order per policy, failures with their response code, the SSRF guard at save and at send time,
/// and pulls recorded in the audit log and as PULL_ARTIFACT events.
/// </summary>
public sealed class WebhookTests(WebhookFixture fixture) : IClassFixture<WebhookFixture>
{
    private RegistryFactory Registry => fixture.Registry;
    private HarborApi Admin => Registry.AdminApi;
    private WebhookDispatcher Dispatcher => Registry.Services.GetRequiredService<WebhookDispatcher>();

    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private Task AllowAsync(string targets) => Expect.StatusAsync(Admin.PutAsync("/configurations", new { webhook_allowed_targets = targets }).Result, HttpStatusCode.OK);

    private static object Policy(string name, string address, string[] events, string type = "http", string? format = null, string? auth = null, bool enabled = true) => new
    {
        name,
        description = "test hook",
        enabled,
        event_types = events,
        targets = new[] { new { type, address, auth_header = auth, skip_cert_verify = false, payload_format = format } },
    };

    private async Task<(string Project, long ProjectId)> ProjectAsync()
    {
        var name = NewName("hooks");
        return (name, await Admin.CreateProjectAsync(name));
    }

    private async Task AppendAsync(long projectId, string project, params string[] types)
    {
        var outbox = Registry.Services.GetRequiredService<IOutbox>();
        var i = 0;
        await outbox.AppendAsync([.. types.Select(t => new RegistryEvent(t, DateTimeOffset.UtcNow, "admin", projectId, project, $"{project}/app",
            "sha256:" + new string((char)('a' + i++ % 6), 64), ["v" + i], "application/vnd.oci.image.manifest.v1+json", 1234))]);
    }

    /// <summary>Runs the dispatcher until <paramref name="done"/> holds (retries become due as time passes).</summary>
    private async Task DeliverUntilAsync(Func<bool> done, int seconds = 15)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            await Dispatcher.RunOnceAsync();
            if (done()) return;
            Assert.True(DateTime.UtcNow < until, "the webhook was not delivered in time");
            await Task.Delay(50);
        }
    }

    private async Task<JsonElement[]> ExecutionsAsync(string project, long policy) =>
        [.. (await Admin.JsonAsync($"/projects/{project}/webhook/policies/{policy}/executions?page_size=50")).EnumerateArray()];

    [Fact]
    public async Task InternalTargetsAreRefusedWhenSavedUnlessAnAdministratorAllowsThem()
    {
        await AllowAsync("");
        var (project, _) = await ProjectAsync();
        foreach (var address in new[] { "http://localhost:9/hook", "http://127.0.0.1:9/", "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/",
                     "http://192.168.0.10/", "http://[::1]:9/", "http://[fd00::1]/", "http://100.64.0.1/" })
        {
            var refused = await Admin.PostAsync($"/projects/{project}/webhook/policies", Policy(NewName("p"), address, [EventTypes.PushArtifact]));
            var message = await HarborExpect.ErrorAsync(refused, HttpStatusCode.BadRequest, "BAD_REQUEST");
            Assert.Contains("webhook_allowed_targets", message);
        }

        await AllowAsync("localhost, 10.0.0.0/8");
        await Admin.CreateAsync($"/projects/{project}/webhook/policies", Policy(NewName("p"), "http://localhost:9/hook", [EventTypes.PushArtifact]));
        await Admin.CreateAsync($"/projects/{project}/webhook/policies", Policy(NewName("p"), "http://10.1.2.3/", [EventTypes.PushArtifact]));
        await HarborExpect.ErrorAsync(await Admin.PutAsync("/configurations", new { webhook_allowed_targets = "not a/cidr" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task BadPoliciesAreA400AndNamesAreUniquePerProject()
    {
        await AllowAsync("127.0.0.0/8");
        var (project, _) = await ProjectAsync();
        var path = $"/projects/{project}/webhook/policies";
        await HarborExpect.ErrorAsync(await Admin.PostAsync(path, Policy("x", "ftp://127.0.0.1/", [EventTypes.PushArtifact])), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PostAsync(path, Policy("x", "http://127.0.0.1/", ["NO_SUCH_EVENT"])), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PostAsync(path, Policy("x", "http://127.0.0.1/", [EventTypes.PushArtifact], type: "slack", format: "CloudEvents")), HttpStatusCode.BadRequest);
        await Admin.CreateAsync(path, Policy("same", "http://127.0.0.1/", [EventTypes.PushArtifact]));
        await HarborExpect.ErrorAsync(await Admin.PostAsync(path, Policy("same", "http://127.0.0.1/", [EventTypes.PushArtifact])), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task PoliciesAreManagedThroughHarborsApiWithItsPermissions()
    {
        await AllowAsync("127.0.0.0/8");
        var (project, projectId) = await ProjectAsync();
        var path = $"/projects/{project}/webhook/policies";
        var id = await Admin.CreateAsync(path, Policy("ci", "http://127.0.0.1:9/hook", [EventTypes.PushArtifact, EventTypes.DeleteArtifact], auth: "Bearer t"));

        var policy = await Admin.JsonAsync($"{path}/{id}");
        Assert.Equal("ci", policy.GetProperty("name").GetString());
        Assert.Equal(projectId, policy.GetProperty("project_id").GetInt64());
        Assert.True(policy.GetProperty("enabled").GetBoolean());
        Assert.Equal("admin", policy.GetProperty("creator").GetString());
        var target = policy.GetProperty("targets")[0];
        Assert.Equal("Default", target.GetProperty("payload_format").GetString());
        Assert.Equal("Bearer t", target.GetProperty("auth_header").GetString());
        Assert.Equal([EventTypes.PushArtifact, EventTypes.DeleteArtifact], policy.Strings("event_types"));

        var list = await Admin.GetAsync(path);
        Assert.Equal("1", list.Header("X-Total-Count"));
        await Expect.StatusAsync(await Admin.PutAsync($"{path}/{id}", Policy("ci-renamed", "http://127.0.0.1:9/other", [EventTypes.PullArtifact], enabled: false)), HttpStatusCode.OK);
        policy = await Admin.JsonAsync($"{path}/{id}");
        Assert.Equal("ci-renamed", policy.GetProperty("name").GetString());
        Assert.False(policy.GetProperty("enabled").GetBoolean());
        Assert.Equal([EventTypes.PullArtifact], policy.Strings("event_types"));

        var events = await Admin.JsonAsync($"/projects/{project}/webhook/events");
        Assert.Contains(EventTypes.QuotaExceed, events.Strings("event_type"));
        Assert.Equal(["http", "slack"], events.Strings("notify_type"));
        var triggers = await Admin.JsonAsync($"/projects/{project}/webhook/lasttrigger");
        Assert.Equal("ci-renamed", triggers[0].GetProperty("policy_name").GetString());

        // A developer may not see the policies, a maintainer may see but not change them; another project's id is a 404.
        var (_, devPassword) = await Admin.CreateUserAsync(NewName("dev"));
        var dev = (await Admin.JsonAsync("/users?page_size=100")).EnumerateArray().Last().GetProperty("username").GetString()!;
        await Admin.AddMemberAsync(project, dev, 2);
        await HarborExpect.ErrorAsync(await Registry.Api(dev, devPassword).GetAsync(path), HttpStatusCode.Forbidden);
        var maintainer = NewName("mnt");
        var (_, maintainerPassword) = await Admin.CreateUserAsync(maintainer);
        await Admin.AddMemberAsync(project, maintainer, 4);
        var asMaintainer = Registry.Api(maintainer, maintainerPassword);
        await Expect.StatusAsync(await asMaintainer.GetAsync($"{path}/{id}"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await asMaintainer.DeleteAsync($"{path}/{id}"), HttpStatusCode.Forbidden);
        var (other, _) = await ProjectAsync();
        await HarborExpect.ErrorAsync(await Admin.GetAsync($"/projects/{other}/webhook/policies/{id}"), HttpStatusCode.NotFound);

        await Expect.StatusAsync(await Admin.DeleteAsync($"{path}/{id}"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await Admin.GetAsync($"{path}/{id}"), HttpStatusCode.NotFound);
        var audit = await Admin.JsonAsync($"/projects/{project}/logs?q=resource_type=webhook_policy&page_size=50");
        Assert.Equal(["delete", "update", "create"], audit.EnumerateArray().Select(e => e.GetProperty("operation").GetString()));
    }

    [Fact]
    public async Task PushAndDeleteEventsAreDeliveredInHarborsDefaultFormatInOrder()
    {
        await AllowAsync("127.0.0.0/8");
        await using var receiver = new WebhookReceiver();
        var (project, projectId) = await ProjectAsync();
        var policy = await Admin.CreateAsync($"/projects/{project}/webhook/policies",
            Policy("ci", receiver.Url(), [EventTypes.PushArtifact, EventTypes.DeleteArtifact], auth: "Bearer s3cret"));
        await AppendAsync(projectId, project, EventTypes.PushArtifact, EventTypes.QuotaWarning, EventTypes.DeleteArtifact);

        await DeliverUntilAsync(() => receiver.Received.Count >= 2);
        var hooks = receiver.Received.ToArray();
        Assert.Equal([EventTypes.PushArtifact, EventTypes.DeleteArtifact], hooks.Select(h => h.Json.GetProperty("type").GetString()));
        var push = hooks[0];
        Assert.Equal("/hook", push.Path);
        Assert.Equal("Bearer s3cret", push.Authorization);
        Assert.StartsWith("application/json", push.ContentType);
        Assert.Equal("admin", push.Json.GetProperty("operator").GetString());
        Assert.True(push.Json.GetProperty("occur_at").GetInt64() > 1_600_000_000);
        var data = push.Json.GetProperty("event_data");
        var resource = data.GetProperty("resources")[0];
        Assert.Equal("v1", resource.GetProperty("tag").GetString());
        Assert.StartsWith("sha256:", resource.GetProperty("digest").GetString());
        Assert.Equal($"registry.test/{project}/app:v1", resource.GetProperty("resource_url").GetString());
        var repository = data.GetProperty("repository");
        Assert.Equal("app", repository.GetProperty("name").GetString());
        Assert.Equal(project, repository.GetProperty("namespace").GetString());
        Assert.Equal($"{project}/app", repository.GetProperty("repo_full_name").GetString());
        Assert.Equal("private", repository.GetProperty("repo_type").GetString());

        var executions = await ExecutionsAsync(project, policy);
        Assert.Equal(2, executions.Length);
        Assert.All(executions, e =>
        {
            Assert.Equal("Success", e.GetProperty("status").GetString());
            Assert.Equal("WEBHOOK", e.GetProperty("vendor_type").GetString());
            Assert.Equal(200, e.GetProperty("extra_attrs").GetProperty("response_code").GetInt32());
        });
        var execution = executions[0].GetProperty("id").GetInt64();
        var task = (await Admin.JsonAsync($"/projects/{project}/webhook/policies/{policy}/executions/{execution}/tasks"))[0];
        Assert.Equal(1, task.GetProperty("run_count").GetInt32());
        var log = await (await Admin.GetAsync($"/projects/{project}/webhook/policies/{policy}/executions/{execution}/tasks/{task.GetProperty("id").GetInt64()}/log")).Content.ReadAsStringAsync();
        Assert.Contains("-> 200", log);
        Assert.DoesNotContain("receiver says", log); // the response body is never kept
        var triggers = await Admin.JsonAsync($"/projects/{project}/webhook/lasttrigger");
        Assert.All(triggers.EnumerateArray(), t => Assert.NotEqual(JsonValueKind.Null, t.GetProperty("last_trigger_time").ValueKind));
    }

    [Fact]
    public async Task FailedDeliveriesAreRetriedWithBackoffAndLaterEventsWaitTheirTurn()
    {
        await AllowAsync("127.0.0.0/8");
        await using var receiver = new WebhookReceiver();
        receiver.Answers.Enqueue(503);
        receiver.Answers.Enqueue(502);
        var (project, projectId) = await ProjectAsync();
        var policy = await Admin.CreateAsync($"/projects/{project}/webhook/policies", Policy("ci", receiver.Url(), [EventTypes.PushArtifact]));
        await AppendAsync(projectId, project, EventTypes.PushArtifact, EventTypes.PushArtifact);

        await DeliverUntilAsync(() => receiver.Received.Count(h => h.AnsweredWith == 200) >= 2);
        var hooks = receiver.Received.ToArray();
        Assert.Equal([503, 502, 200, 200], hooks.Select(h => h.AnsweredWith));
        // The first event was sent three times before the second went out at all.
        Assert.Equal(["v1", "v1", "v1", "v2"], hooks.Select(h => h.Json.GetProperty("event_data").GetProperty("resources")[0].GetProperty("tag").GetString()));
        var executions = await ExecutionsAsync(project, policy);
        var first = executions.Single(e => e.GetProperty("id").GetInt64() == executions.Min(x => x.GetProperty("id").GetInt64()));
        var task = (await Admin.JsonAsync($"/projects/{project}/webhook/policies/{policy}/executions/{first.GetProperty("id").GetInt64()}/tasks"))[0];
        Assert.Equal("Success", task.GetProperty("status").GetString());
        Assert.Equal(3, task.GetProperty("run_count").GetInt32());
        var log = await (await Admin.GetAsync($"/projects/{project}/webhook/policies/{policy}/executions/{first.GetProperty("id").GetInt64()}/tasks/{task.GetProperty("id").GetInt64()}/log")).Content.ReadAsStringAsync();
        Assert.Contains("answered 503; retrying", log);
    }

    [Fact]
    public async Task ADeliveryThatKeepsFailingIsMarkedErrorWithTheResponseCode()
    {
        await AllowAsync("127.0.0.0/8");
        await using var receiver = new WebhookReceiver { DefaultAnswer = 500 };
        var (project, projectId) = await ProjectAsync();
        var policy = await Admin.CreateAsync($"/projects/{project}/webhook/policies", Policy("ci", receiver.Url(), [EventTypes.PushArtifact]));
        await AppendAsync(projectId, project, EventTypes.PushArtifact);
        await DeliverUntilAsync(() => receiver.Received.Count >= 3 && ExecutionsAsync(project, policy).Result.All(e => e.GetProperty("status").GetString() == "Error"));
        var execution = Assert.Single(await ExecutionsAsync(project, policy));
        Assert.Equal(500, execution.GetProperty("extra_attrs").GetProperty("response_code").GetInt32());
        Assert.Contains("500", execution.GetProperty("status_message").GetString());
        Assert.Equal(3, receiver.Received.Count); // MaxAttempts, then no more

        // A 404 will not change by retrying: one attempt.
        receiver.DefaultAnswer = 404;
        var notFound = await Admin.CreateAsync($"/projects/{project}/webhook/policies", Policy("gone", receiver.Url("/gone"), [EventTypes.DeleteArtifact]));
        await AppendAsync(projectId, project, EventTypes.DeleteArtifact);
        await DeliverUntilAsync(() => ExecutionsAsync(project, notFound).Result.Any(e => e.GetProperty("status").GetString() == "Error"));
        Assert.Single(receiver.Received, h => h.Path == "/gone");
    }

    [Fact]
    public async Task ATargetThatResolvesToLoopbackIsRefusedAtSendTimeOnceTheAllowlistIsGone()
    {
        await AllowAsync("localhost");
        await using var receiver = new WebhookReceiver();
        var (project, projectId) = await ProjectAsync();
        var policy = await Admin.CreateAsync($"/projects/{project}/webhook/policies",
            Policy("ci", $"http://localhost:{receiver.Port}/hook", [EventTypes.PushArtifact]));
        await AllowAsync("");
        await AppendAsync(projectId, project, EventTypes.PushArtifact);
        await DeliverUntilAsync(() => ExecutionsAsync(project, policy).Result.Any(e => e.GetProperty("status").GetString() == "Error"));
        var execution = Assert.Single(await ExecutionsAsync(project, policy));
        Assert.Contains("webhook_allowed_targets", execution.GetProperty("status_message").GetString());
        Assert.Empty(receiver.Received);

        // Allowed again, the same kind of event goes through.
        await AllowAsync("localhost");
        await AppendAsync(projectId, project, EventTypes.PushArtifact);
        await DeliverUntilAsync(() => receiver.Received.Count == 1);
    }

    [Fact]
    public async Task PullsAreAuditedAndDeliveredAsCloudEventsInBatches()
    {
        await AllowAsync("127.0.0.0/8");
        await using var receiver = new WebhookReceiver();
        var (project, _) = await ProjectAsync();
        await Admin.CreateAsync($"/projects/{project}/webhook/policies", Policy("pulls", receiver.Url(), [EventTypes.PullArtifact], format: "CloudEvents"));
        var image = await Registry.Admin.PushImageAsync($"{project}/app", "v1");
        await Expect.StatusAsync(await Registry.Admin.GetAsync($"/v2/{project}/app/manifests/v1", Oci.OciManifest), HttpStatusCode.OK);
        await Expect.StatusAsync(await Registry.Admin.GetAsync($"/v2/{project}/app/manifests/v1", Oci.OciManifest), HttpStatusCode.OK);
        await Expect.StatusAsync(await Registry.Admin.GetAsync($"/v2/{project}/app/manifests/{image.Manifest.Digest}", Oci.OciManifest), HttpStatusCode.OK);
        // A preview is not a pull.
        await Expect.StatusAsync(await Registry.Admin.SendAsync(HttpMethod.Get, $"/v2/{project}/app/manifests/v1", null,
            r => { r.Headers.Accept.ParseAdd(Oci.OciManifest); r.Headers.Add("X-Registry-Preview", "1"); }), HttpStatusCode.OK);

        var audit = await Admin.JsonAsync($"/projects/{project}/logs?q=operation=pull");
        Assert.Equal(0, audit.GetArrayLength()); // nothing is written per pull
        await Registry.Services.GetRequiredService<PullRecorder>().FlushAsync();

        audit = await Admin.JsonAsync($"/projects/{project}/logs?q=operation=pull");
        var resources = audit.EnumerateArray().Select(e => e.GetProperty("resource").GetString()!).Order().ToArray();
        Assert.Equal([$"{project}/app:v1", $"{project}/app@{image.Manifest.Digest}"], resources);
        Assert.All(audit.EnumerateArray(), e =>
        {
            Assert.Equal("admin", e.GetProperty("username").GetString());
            Assert.Equal("artifact", e.GetProperty("resource_type").GetString());
        });

        await DeliverUntilAsync(() => receiver.Received.Count >= 2);
        var hooks = receiver.Received.ToArray();
        Assert.Equal(2, hooks.Length);
        Assert.All(hooks, h =>
        {
            Assert.StartsWith("application/cloudevents+json", h.ContentType);
            Assert.Equal("1.0", h.Json.GetProperty("specversion").GetString());
            Assert.Equal("harbor.artifact.pulled", h.Json.GetProperty("type").GetString());
            Assert.Equal("admin", h.Json.GetProperty("operator").GetString());
            Assert.Equal(image.Manifest.Digest, h.Json.GetProperty("data").GetProperty("resources")[0].GetProperty("digest").GetString());
            Assert.StartsWith("/projects/", h.Json.GetProperty("source").GetString());
        });
    }

    [Fact]
    public async Task SlackTargetsGetASlackMessage()
    {
        await AllowAsync("127.0.0.0/8");
        await using var slack = new WebhookReceiver();
        var (project, projectId) = await ProjectAsync();
        await Admin.CreateAsync($"/projects/{project}/webhook/policies", Policy("slack", slack.Url("/services/T000/B000/XXX"), [EventTypes.QuotaExceed], type: "slack"));
        var outbox = Registry.Services.GetRequiredService<IOutbox>();
        await outbox.AppendAsync([new RegistryEvent(EventTypes.QuotaExceed, DateTimeOffset.UtcNow, "alice", projectId, project, $"{project}/app",
            Detail: new Dictionary<string, string> { ["used"] = "900", ["limit"] = "1000" })]);
        await DeliverUntilAsync(() => slack.Received.Count == 1);
        var hook = Assert.Single(slack.Received);
        Assert.Equal("/services/T000/B000/XXX", hook.Path);
        var text = hook.Json.GetProperty("text").GetString()!;
        Assert.Contains("QUOTA_EXCEED", text);
        Assert.Contains("alice", text);
        Assert.Contains("1000", text);
    }

    /// <summary>
    /// A real push and delete through the OCI API: the repository stores write the PUSH_ARTIFACT
    /// and DELETE_ARTIFACT outbox rows in the transactions of the push and the delete.
    /// </summary>
    [Fact]
    public async Task ARealPushAndDeleteReachTheReceiver()
    {
        await AllowAsync("127.0.0.0/8");
        await using var receiver = new WebhookReceiver();
        var (project, _) = await ProjectAsync();
        await Admin.CreateAsync($"/projects/{project}/webhook/policies", Policy("ci", receiver.Url(), [EventTypes.PushArtifact, EventTypes.DeleteArtifact]));
        var image = await Registry.Admin.PushImageAsync($"{project}/app", "v1");
        await Expect.StatusAsync(await Registry.Admin.DeleteAsync($"/v2/{project}/app/manifests/{image.Manifest.Digest}"), HttpStatusCode.Accepted);
        await DeliverUntilAsync(() => receiver.Received.Count >= 2);
        var hooks = receiver.Received.ToArray();
        Assert.Equal([EventTypes.PushArtifact, EventTypes.DeleteArtifact], hooks.Select(h => h.Json.GetProperty("type").GetString()));
        Assert.All(hooks, h => Assert.Equal(image.Manifest.Digest, h.Json.GetProperty("event_data").GetProperty("resources")[0].GetProperty("digest").GetString()));
        Assert.Equal("v1", hooks[0].Json.GetProperty("event_data").GetProperty("resources")[0].GetProperty("tag").GetString());
    }
}
