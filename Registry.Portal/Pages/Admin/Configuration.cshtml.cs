using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Admin;

/// <summary>
/// The run-time settings of <c>/configurations</c>: authentication mode and LDAP (with a test of
/// the connection as typed), self-registration, token lifetimes, the robot name prefix and who may
/// create projects. Saving sends only what changed; the LDAP search password is write-only.
/// </summary>
public sealed class ConfigurationModel(RegistryApi api) : AdminPage(api)
{
    public sealed class ConfigurationInput
    {
        [Display(Name = "Authentication mode")]
        public string AuthMode { get; set; } = "db_auth";

        [Display(Name = "Allow self-registration")]
        public bool SelfRegistration { get; set; }

        [Required(ErrorMessage = "Enter the token expiration."), Range(1, 10080, ErrorMessage = "Token expiration is 1 to 10080 minutes."), Display(Name = "Token expiration (minutes)")]
        public int? TokenExpiration { get; set; }

        [Required(ErrorMessage = "Enter the robot token duration."), Range(1, 36500, ErrorMessage = "Robot token duration is 1 to 36500 days."), Display(Name = "Robot token duration (days)")]
        public int? RobotTokenDuration { get; set; }

        [Required(ErrorMessage = "Enter how many days deleted artifacts stay in the recycle bin."), Range(0, 3650, ErrorMessage = "The recycle bin keeps artifacts 0 to 3650 days."), Display(Name = "Recycle bin retention (days; 0 deletes at once)")]
        public int? RecycleBinRetentionDays { get; set; }

        [StringLength(2000), Display(Name = "Internal webhook targets allowed (host names and CIDRs, comma-separated)")]
        public string? WebhookAllowedTargets { get; set; }

        [Required(ErrorMessage = "Enter the robot name prefix."), StringLength(32), Display(Name = "Robot name prefix")]
        public string RobotNamePrefix { get; set; } = "";

        [Display(Name = "Who may create projects")]
        public string ProjectCreationRestriction { get; set; } = "everyone";

        [Display(Name = "LDAP URL")]
        public string? LdapUrl { get; set; }

        [Display(Name = "Search DN")]
        public string? LdapSearchDn { get; set; }

        [DataType(DataType.Password), Display(Name = "Search password")]
        public string? LdapSearchPassword { get; set; }

        [Display(Name = "Base DN")]
        public string? LdapBaseDn { get; set; }

        [Display(Name = "Filter")]
        public string? LdapFilter { get; set; }

        [Display(Name = "UID attribute")]
        public string? LdapUid { get; set; }

        [Range(0, 2), Display(Name = "Scope")]
        public int LdapScope { get; set; } = 2;

        [Required(ErrorMessage = "Enter the LDAP timeout."), Range(1, 300, ErrorMessage = "The LDAP timeout is 1 to 300 seconds."), Display(Name = "Timeout (seconds)")]
        public int? LdapTimeout { get; set; }

        [Display(Name = "Verify the server certificate (ldaps)")]
        public bool LdapVerifyCert { get; set; } = true;
    }

    public static readonly IReadOnlyList<(int Value, string Label)> Scopes = [(0, "Base"), (1, "One level"), (2, "Subtree")];

    [BindProperty]
    public ConfigurationInput Input { get; set; } = new();

    /// <summary>The answer to "Test connection", when asked.</summary>
    public LdapPingResult? Ping { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var current = await Api.GetAsync<Dictionary<string, ConfigurationItem>>("/configurations", cancellationToken);
        if (!current.Ok) return Failed(current, LoadKey) ?? Page();
        Input = FromStored(current.Value ?? []);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid) return Page();
        var current = await Api.GetAsync<Dictionary<string, ConfigurationItem>>("/configurations", cancellationToken);
        if (!current.Ok) return Failed(current) ?? Page();
        var stored = current.Value ?? [];
        var changed = Values(Input).Where(v => !stored.TryGetValue(v.Key, out var item) || !Same(item.Value, v.Value)).ToDictionary(v => v.Key, v => v.Value);
        if (!string.IsNullOrEmpty(Input.LdapSearchPassword)) changed["ldap_search_password"] = Input.LdapSearchPassword;
        if (changed.Count == 0)
        {
            Flash = "Nothing changed.";
            return RedirectToPage();
        }
        var result = await Api.PutAsync("/configurations", changed, cancellationToken);
        if (result.Ok)
        {
            Flash = $"Configuration saved ({string.Join(", ", changed.Keys)}).";
            return RedirectToPage();
        }
        return Failed(result) ?? Page();
    }

    public async Task<IActionResult> OnPostPingAsync(CancellationToken cancellationToken)
    {
        // Only the LDAP fields matter here: the rest of the form may be half-edited.
        foreach (var key in ModelState.Keys.Where(k => !k.StartsWith("Input.Ldap", StringComparison.Ordinal)).ToList()) ModelState.Remove(key);
        if (!ModelState.IsValid) return Page();
        var conf = new LdapConfiguration(Blank(Input.LdapUrl), Blank(Input.LdapSearchDn), Blank(Input.LdapSearchPassword), Blank(Input.LdapBaseDn),
            Blank(Input.LdapFilter), Blank(Input.LdapUid), Input.LdapScope, Input.LdapTimeout, Input.LdapVerifyCert);
        var result = await Api.SendAsync<LdapPingResult>(HttpMethod.Post, "/ldap/ping", conf, cancellationToken);
        if (result.Status == System.Net.HttpStatusCode.Unauthorized) return Failed(result)!;
        Ping = result.Ok && result.Value is { } answer ? answer : new LdapPingResult(false, result.Error);
        return Page();
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>Each setting the form edits, by its API key (the password apart: it is sent only when typed).</summary>
    private static IEnumerable<(string Key, object Value)> Values(ConfigurationInput i) =>
    [
        ("auth_mode", i.AuthMode),
        ("self_registration", i.SelfRegistration),
        ("token_expiration", i.TokenExpiration!.Value),
        ("robot_token_duration", i.RobotTokenDuration!.Value),
        ("robot_name_prefix", i.RobotNamePrefix.Trim()),
        ("project_creation_restriction", i.ProjectCreationRestriction),
        ("ldap_url", i.LdapUrl?.Trim() ?? ""),
        ("ldap_search_dn", i.LdapSearchDn?.Trim() ?? ""),
        ("ldap_base_dn", i.LdapBaseDn?.Trim() ?? ""),
        ("ldap_filter", i.LdapFilter?.Trim() ?? ""),
        ("ldap_uid", i.LdapUid?.Trim() ?? ""),
        ("ldap_scope", i.LdapScope),
        ("ldap_timeout", i.LdapTimeout!.Value),
        ("ldap_verify_cert", i.LdapVerifyCert),
        ("recycle_bin_retention_days", i.RecycleBinRetentionDays!.Value),
        ("webhook_allowed_targets", i.WebhookAllowedTargets?.Trim() ?? ""),
    ];

    private static bool Same(JsonElement stored, object value) => value switch
    {
        string s => stored.ValueKind == JsonValueKind.String && stored.GetString() == s,
        bool b => stored.ValueKind is JsonValueKind.True or JsonValueKind.False && stored.GetBoolean() == b,
        int n => stored.ValueKind == JsonValueKind.Number && stored.TryGetInt32(out var m) && m == n,
        _ => false,
    };

    private static ConfigurationInput FromStored(IReadOnlyDictionary<string, ConfigurationItem> items)
    {
        string Text(string key, string fallback) => items.TryGetValue(key, out var i) && i.Value.ValueKind == JsonValueKind.String ? i.Value.GetString()! : fallback;
        int Number(string key, int fallback) => items.TryGetValue(key, out var i) && i.Value.ValueKind == JsonValueKind.Number && i.Value.TryGetInt32(out var n) ? n : fallback;
        bool Flag(string key, bool fallback) => items.TryGetValue(key, out var i) && i.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? i.Value.GetBoolean() : fallback;
        return new ConfigurationInput
        {
            AuthMode = Text("auth_mode", "db_auth"),
            SelfRegistration = Flag("self_registration", false),
            TokenExpiration = Number("token_expiration", 30),
            RobotTokenDuration = Number("robot_token_duration", 30),
            RobotNamePrefix = Text("robot_name_prefix", "robot$"),
            ProjectCreationRestriction = Text("project_creation_restriction", "everyone"),
            LdapUrl = Text("ldap_url", ""),
            LdapSearchDn = Text("ldap_search_dn", ""),
            LdapBaseDn = Text("ldap_base_dn", ""),
            LdapFilter = Text("ldap_filter", ""),
            LdapUid = Text("ldap_uid", "cn"),
            LdapScope = Number("ldap_scope", 2),
            LdapTimeout = Number("ldap_timeout", 5),
            LdapVerifyCert = Flag("ldap_verify_cert", true),
            RecycleBinRetentionDays = Number("recycle_bin_retention_days", 7),
            WebhookAllowedTargets = Text("webhook_allowed_targets", ""),
        };
    }
}
