using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Api.Webhooks;

/// <summary>
/// What a webhook sends for an event, in the shapes Harbor's receivers expect: Harbor's default
/// JSON (<c>{type, occur_at, operator, event_data:{resources, repository, …}}</c>), CloudEvents 1.0
/// in structured mode (Harbor's <c>harbor.artifact.pushed</c>-style types), or a Slack message.
/// </summary>
public static class WebhookPayloads
{
    public const string Default = "Default";
    public const string CloudEvents = "CloudEvents";
    public const string Http = "http";
    public const string Slack = "slack";

    /// <summary>The payload formats each notify type takes (Harbor's <c>payload_formats</c>).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Formats = new Dictionary<string, IReadOnlyList<string>>
    {
        [Http] = [Default, CloudEvents],
        [Slack] = [Default],
    };

    /// <summary>Harbor's CloudEvents type for each event type.</summary>
    public static string CloudEventType(string eventType) => eventType switch
    {
        EventTypes.PushArtifact => "harbor.artifact.pushed",
        EventTypes.PullArtifact => "harbor.artifact.pulled",
        EventTypes.DeleteArtifact => "harbor.artifact.deleted",
        EventTypes.QuotaExceed => "harbor.quota.exceed",
        EventTypes.QuotaWarning => "harbor.quota.warning",
        EventTypes.TagRetention => "harbor.tag_retention.finished",
        EventTypes.Replication => "harbor.replication.status.changed",
        _ => "harbor." + eventType.ToLowerInvariant(),
    };

    /// <summary>The body and its content type for one job.</summary>
    public static (string Body, string ContentType) Build(RegistryEvent e, long eventId, WebhookPolicyRecord policy, WebhookTarget target,
        string registryHost, bool publicProject)
    {
        var data = EventData(e, registryHost, publicProject);
        if (target.Type == Slack) return (SlackMessage(e, data), "application/json");
        if (target.PayloadFormat == CloudEvents)
        {
            var cloud = new JsonObject
            {
                ["specversion"] = "1.0",
                ["id"] = $"{policy.Id}-{eventId}",
                ["requestid"] = eventId.ToString(CultureInfo.InvariantCulture),
                ["source"] = $"/projects/{policy.ProjectId}/webhook/policies/{policy.Id}",
                ["type"] = CloudEventType(e.Type),
                ["datacontenttype"] = "application/json",
                ["time"] = e.OccurAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                ["operator"] = e.Operator,
                ["data"] = data,
            };
            return (cloud.ToJsonString(), "application/cloudevents+json");
        }
        var harbor = new JsonObject
        {
            ["type"] = e.Type,
            ["occur_at"] = e.OccurAt.ToUnixTimeSeconds(),
            ["operator"] = e.Operator,
            ["event_data"] = data,
        };
        return (harbor.ToJsonString(), "application/json");
    }

    /// <summary>Harbor's <c>event_data</c>: the artifacts concerned, their repository, and what else the event type carries.</summary>
    private static JsonObject EventData(RegistryEvent e, string registryHost, bool publicProject)
    {
        var data = new JsonObject();
        if (e.Repository is { } repository)
        {
            var resources = new JsonArray();
            var tags = e.Tags is { Count: > 0 } t ? t : [null!];
            foreach (var tag in tags)
            {
                var resource = new JsonObject();
                if (e.Digest is not null) resource["digest"] = e.Digest;
                if (tag is not null) resource["tag"] = tag;
                resource["resource_url"] = tag is not null ? $"{registryHost}/{repository}:{tag}"
                    : e.Digest is not null ? $"{registryHost}/{repository}@{e.Digest}" : $"{registryHost}/{repository}";
                if (e.Size is { } size) resource["size"] = size;
                if (e.MediaType is { } mediaType) resource["media_type"] = mediaType;
                resources.Add(resource);
            }
            data["resources"] = resources;
            var slash = repository.IndexOf('/');
            data["repository"] = new JsonObject
            {
                ["name"] = slash < 0 ? repository : repository[(slash + 1)..],
                ["namespace"] = e.Project,
                ["repo_full_name"] = repository,
                ["repo_type"] = publicProject ? "public" : "private",
            };
        }
        if (e.Type == EventTypes.TagRetention && e.Detail is { } retention)
        {
            var r = new JsonObject { ["project_name"] = e.Project, ["hostname"] = registryHost };
            foreach (var (key, value) in retention) r[key] = long.TryParse(value, out var n) ? n : value;
            data["retention"] = r;
        }
        else if (e.Detail is { Count: > 0 } detail)
        {
            var attributes = new JsonObject();
            foreach (var (key, value) in detail) attributes[key] = value;
            if (e.Type is EventTypes.QuotaExceed or EventTypes.QuotaWarning && !attributes.ContainsKey("Details"))
                attributes["Details"] = QuotaDetails(e, detail);
            data["custom_attributes"] = attributes;
        }
        return data;
    }

    private static string QuotaDetails(RegistryEvent e, IReadOnlyDictionary<string, string> detail) =>
        detail.TryGetValue("message", out var message) ? message
        : $"project {e.Project} storage usage {detail.GetValueOrDefault("used", "?")} of limit {detail.GetValueOrDefault("limit", "?")} bytes"
          + (e.Type == EventTypes.QuotaWarning ? " (85% or more used)" : " exceeded");

    /// <summary>A Slack incoming-webhook message: a text summary and the event as a code block, as Harbor's Slack template does.</summary>
    private static string SlackMessage(RegistryEvent e, JsonObject data)
    {
        var text = new StringBuilder();
        text.Append("Harbor webhook events\n");
        text.Append("*event_type:* ").Append(e.Type).Append('\n');
        text.Append("*occur_at:* <!date^").Append(e.OccurAt.ToUnixTimeSeconds()).Append("^{date} at {time}|")
            .Append(e.OccurAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)).Append(">\n");
        text.Append("*operator:* ").Append(e.Operator).Append('\n');
        text.Append("*event_data:*\n```").Append(data.ToJsonString(new JsonSerializerOptions { WriteIndented = true })).Append("```");
        return new JsonObject { ["text"] = text.ToString() }.ToJsonString();
    }
}
