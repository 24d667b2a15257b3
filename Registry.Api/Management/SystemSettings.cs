using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Grains.Metadata;

namespace Registry.Api.Management;

/// <summary>
/// The settings an administrator changes at run time (Harbor's <c>/configurations</c>), stored in
/// the metadata database so every node sees them; read through a cache of a few seconds.
/// </summary>
public sealed class SystemSettings(IIdentityStore store, TimeProvider clock, Microsoft.Extensions.Options.IOptions<Hosting.RegistryOptions> options)
{
    public const string DbAuth = "db_auth";
    public const string LdapAuth = "ldap_auth";

    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(3);
    private volatile Snapshot? _snapshot;

    private sealed record Snapshot(RegistrySettings Settings, DateTimeOffset ReadAt);

    /// <summary>Every setting with its default, in the order <c>/configurations</c> lists them.</summary>
    public static readonly IReadOnlyDictionary<string, JsonNode> Defaults = new Dictionary<string, JsonNode>
    {
        ["auth_mode"] = DbAuth,
        ["self_registration"] = false,
        ["token_expiration"] = 30,
        ["robot_token_duration"] = 30,
        ["robot_name_prefix"] = "robot$",
        ["project_creation_restriction"] = "everyone",
        ["ldap_url"] = "",
        ["ldap_search_dn"] = "",
        ["ldap_search_password"] = "",
        ["ldap_base_dn"] = "",
        ["ldap_filter"] = "",
        ["ldap_uid"] = "cn",
        ["ldap_scope"] = 2,
        ["ldap_timeout"] = 5,
        ["ldap_verify_cert"] = true,
        [Registry.Grains.Metadata.RecycleBinSql.RetentionSetting] = Registry.Grains.Metadata.RecycleBinSql.DefaultRetentionDays,
        // Webhook targets allowed although they are internal addresses (host names and CIDRs, comma-separated).
        ["webhook_allowed_targets"] = "",
    };

    /// <summary>Settings never shown back by <c>GET /configurations</c>.</summary>
    public static readonly IReadOnlySet<string> Secret = new HashSet<string> { "ldap_search_password" };

    public async Task<RegistrySettings> GetAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = _snapshot;
        if (snapshot is not null && clock.GetUtcNow() - snapshot.ReadAt < CacheFor) return snapshot.Settings;
        var stored = await store.GetSettingsAsync(cancellationToken);
        var values = new Dictionary<string, JsonNode>();
        foreach (var (key, fallback) in Defaults)
        {
            values[key] = stored.TryGetValue(key, out var json) && TryParse(json) is { } node ? node
                : key == "token_expiration" ? options.Value.TokenLifetimeMinutes // the configured default
                : fallback.DeepClone();
        }
        var settings = new RegistrySettings(values);
        _snapshot = new Snapshot(settings, clock.GetUtcNow());
        return settings;
    }

    /// <summary>Stores validated values (JSON nodes keyed by setting name) and drops this node's cache.</summary>
    public async Task SetAsync(IReadOnlyDictionary<string, JsonNode> values, CancellationToken cancellationToken = default)
    {
        await store.SetSettingsAsync(values.ToDictionary(v => v.Key, v => v.Value.ToJsonString()), cancellationToken);
        _snapshot = null;
    }

    private static JsonNode? TryParse(string json)
    {
        try { return JsonNode.Parse(json); }
        catch (JsonException) { return null; }
    }
}

/// <summary>One reading of the settings.</summary>
public sealed class RegistrySettings(IReadOnlyDictionary<string, JsonNode> values)
{
    public IReadOnlyDictionary<string, JsonNode> Values => values;

    private string Text(string key) => values[key].GetValueKind() == JsonValueKind.String ? values[key].GetValue<string>() : values[key].ToJsonString();
    private int Number(string key) => values[key].GetValueKind() == JsonValueKind.Number ? values[key].GetValue<int>() : int.Parse(Text(key));
    private bool Flag(string key) => values[key].GetValueKind() is JsonValueKind.True or JsonValueKind.False ? values[key].GetValue<bool>() : Text(key) == "true";

    public string AuthMode => Text("auth_mode");
    public bool LdapAuth => AuthMode == SystemSettings.LdapAuth;
    public bool SelfRegistration => Flag("self_registration");
    public int TokenExpirationMinutes => Number("token_expiration");
    public int RobotTokenDurationDays => Number("robot_token_duration");
    /// <summary>Days a deleted artifact stays in its project's recycle bin; 0 = deletions skip the bin.</summary>
    public int RecycleBinRetentionDays => Number(Registry.Grains.Metadata.RecycleBinSql.RetentionSetting);
    public string RobotNamePrefix => Text("robot_name_prefix");
    public bool OnlyAdminsCreateProjects => Text("project_creation_restriction") == "adminonly";

    public string WebhookAllowedTargets => Text("webhook_allowed_targets");

    public Identity.Ldap.LdapSettings Ldap => new(
        Text("ldap_url"), Text("ldap_search_dn"), Text("ldap_search_password"), Text("ldap_base_dn"),
        Text("ldap_filter"), Text("ldap_uid"), Number("ldap_scope"), Number("ldap_timeout"), Flag("ldap_verify_cert"));
}
