using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation;
using Registry.Api.Identity.Ldap;
using Registry.Grains.Metadata;

namespace Registry.Api.Management;

public sealed record ConfigItem(JsonNode? Value, bool Editable);

/// <summary>Harbor's LdapConf: settings to test; what is left out comes from the stored configuration.</summary>
public sealed record LdapConf(string? LdapUrl, string? LdapSearchDn, string? LdapSearchPassword, string? LdapBaseDn, string? LdapFilter,
    string? LdapUid, int? LdapScope, int? LdapConnectionTimeout, bool? LdapVerifyCert);

public sealed record LdapPingResult(bool Success, string Message);

public sealed record LdapUserDto(string Username, string Realname, string Email);

/// <summary>Harbor's LdapImportUsers: the uids to onboard.</summary>
public sealed record LdapImportUsers(IReadOnlyList<string>? LdapUidList);

public sealed class LdapImportUsersValidator : AbstractValidator<LdapImportUsers>
{
    public const int MaxUsers = 100;

    public LdapImportUsersValidator()
    {
        RuleFor(r => r.LdapUidList).Must(l => l is { Count: > 0 and <= MaxUsers }).WithMessage($"ldap_uid_list needs 1 to {MaxUsers} names");
        RuleForEach(r => r.LdapUidList).Must(uid => !string.IsNullOrWhiteSpace(uid) && uid.Length <= 255)
            .WithMessage("each name in ldap_uid_list must be 1 to 255 characters");
    }
}

public sealed record LdapFailedImportUser(string LdapUid, string Error);

/// <summary><c>/configurations</c> (system admins) and the LDAP helpers <c>/ldap/ping</c>, <c>/ldap/users/search</c>, <c>/ldap/users/import</c>.</summary>
public static class ConfigurationEndpoints
{
    public static RouteGroupBuilder MapConfigurationEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/configurations", GetAsync).WithSummary("Get system configurations.").Produces<IReadOnlyDictionary<string, ConfigItem>>();
        api.MapPut("/configurations", UpdateAsync).WithSummary("Modify system configurations.").Produces(200);
        api.MapPost("/ldap/ping", PingAsync).WithSummary("Ping available ldap service.").Produces<LdapPingResult>();
        api.MapGet("/ldap/users/search", SearchAsync).WithSummary("Search available ldap users.").Produces<IReadOnlyList<LdapUserDto>>();
        api.MapPost("/ldap/users/import", ImportAsync).WithSummary("Import selected available ldap users.").Produces(200).Produces<IReadOnlyList<LdapFailedImportUser>>(404);
        return api;
    }

    private static async Task<IReadOnlyDictionary<string, ConfigItem>> GetAsync(HttpContext context, SystemSettings settings)
    {
        context.RequireSystem("configuration", Auth.Rbac.Verbs.Read);
        var current = await settings.GetAsync(context.RequestAborted);
        return current.Values.Where(v => !SystemSettings.Secret.Contains(v.Key)).ToDictionary(v => v.Key, v => new ConfigItem(v.Value.DeepClone(), true));
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, JsonObject body, SystemSettings settings, IIdentityStore store, AuditLog audit)
    {
        var caller = context.RequireSystem("configuration", Auth.Rbac.Verbs.Update);
        var values = new Dictionary<string, JsonNode>();
        foreach (var (key, node) in body)
        {
            if (!SystemSettings.Defaults.ContainsKey(key)) throw Harbor.BadRequest($"unknown configuration '{key}'");
            values[key] = Validate(key, node);
        }
        var current = await settings.GetAsync(context.RequestAborted);
        if (values.TryGetValue("auth_mode", out var mode) && mode.GetValue<string>() != current.AuthMode)
        {
            var users = await store.ListUsersAsync(new ListQuery(0, 1, []), context.RequestAborted);
            if (users.Total > 1) throw Harbor.BadRequest("auth_mode can only change while the admin is the only user");
        }
        await settings.SetAsync(values, context.RequestAborted);
        await audit.RecordAsync(caller.Username!, null, string.Join(",", values.Keys), "configuration", "update");
        return Results.Ok();
    }

    /// <summary>Checks one value and returns it in its stored type (booleans and numbers may come as strings).</summary>
    private static JsonNode Validate(string key, JsonNode? node)
    {
        string Text() => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : throw Harbor.BadRequest($"{key} must be a string");
        bool Flag() => node?.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when node.GetValue<string>() is "true" or "false" => node.GetValue<string>() == "true",
            _ => throw Harbor.BadRequest($"{key} must be true or false"),
        };
        int Number(int min, int max)
        {
            var ok = node?.GetValueKind() switch
            {
                JsonValueKind.Number => node.AsValue().TryGetValue<int>(out var n) ? n : (int?)null,
                JsonValueKind.String => int.TryParse(node.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null,
                _ => null,
            };
            return ok is { } v && v >= min && v <= max ? v : throw Harbor.BadRequest($"{key} must be a whole number from {min} to {max}");
        }

        return key switch
        {
            "auth_mode" => Text() is SystemSettings.DbAuth or SystemSettings.LdapAuth ? Text() : throw Harbor.BadRequest("auth_mode must be db_auth or ldap_auth"),
            "self_registration" or "ldap_verify_cert" => Flag(),
            "token_expiration" => Number(1, 60 * 24 * 7),
            "robot_token_duration" => Number(1, 36500),
            "ldap_scope" => Number(0, 2),
            "ldap_timeout" => Number(1, 300),
            "recycle_bin_retention_days" => Number(0, 3650),
            "robot_name_prefix" => Text() is { Length: >= 1 and <= 32 } p && !p.Any(char.IsWhiteSpace) && !p.Contains(':') ? p : throw Harbor.BadRequest("robot_name_prefix must be 1-32 characters without spaces or ':'"),
            "project_creation_restriction" => Text() is "everyone" or "adminonly" ? Text() : throw Harbor.BadRequest("project_creation_restriction must be everyone or adminonly"),
            "ldap_url" => Text() is var url && (url.Length == 0 || Uri.TryCreate(url.Contains("://") ? url : "ldap://" + url, UriKind.Absolute, out var u) && u.Scheme is "ldap" or "ldaps")
                ? url : throw Harbor.BadRequest("ldap_url must be ldap://host[:port] or ldaps://host[:port]"),
            "ldap_uid" => Text() is { Length: > 0 } uid && uid.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? uid : throw Harbor.BadRequest("ldap_uid must be an attribute name"),
            "webhook_allowed_targets" => AllowedTargets(Text()),
            _ => Text().Length <= 1024 ? Text() : throw Harbor.BadRequest($"{key} is too long"),
        };
    }

    /// <summary>The webhook allowlist: host names and CIDRs separated by commas.</summary>
    private static string AllowedTargets(string value)
    {
        if (value.Length > 4096) throw Harbor.BadRequest("webhook_allowed_targets is too long");
        return Webhooks.TargetGuard.ParseAllowlist(value, out var error) is not null ? value
            : throw Harbor.BadRequest($"webhook_allowed_targets must be host names and CIDRs separated by commas: {error}");
    }

    private static async Task<LdapPingResult> PingAsync(HttpContext context, SystemSettings settings, ILdapDirectory ldap)
    {
        context.RequireSystem("configuration", Auth.Rbac.Verbs.Update);
        LdapConf? conf = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            try { conf = await context.Request.ReadFromJsonAsync<LdapConf>(ManagementJson.Options, context.RequestAborted); }
            catch (JsonException) { throw Harbor.BadRequest("the body must be an LdapConf JSON object"); }
        }
        var stored = (await settings.GetAsync(context.RequestAborted)).Ldap;
        var merged = new LdapSettings(
            Or(conf?.LdapUrl, stored.Url)!, Or(conf?.LdapSearchDn, stored.SearchDn), Or(conf?.LdapSearchPassword, stored.SearchPassword),
            Or(conf?.LdapBaseDn, stored.BaseDn)!, Or(conf?.LdapFilter, stored.Filter), Or(conf?.LdapUid, stored.Uid)!,
            conf?.LdapScope ?? stored.Scope, conf?.LdapConnectionTimeout ?? stored.ConnectionTimeoutSeconds, conf?.LdapVerifyCert ?? stored.VerifyCert);
        if (string.IsNullOrEmpty(merged.Url)) throw Harbor.BadRequest("ldap_url is not set");
        var (success, message) = await ldap.PingAsync(merged, context.RequestAborted);
        return new LdapPingResult(success, message);
    }

    private static string? Or(string? given, string? stored) => string.IsNullOrEmpty(given) ? stored : given;

    private static async Task<IReadOnlyList<LdapUserDto>> SearchAsync(HttpContext context, SystemSettings settings, ILdapDirectory ldap, string? username)
    {
        context.RequireSystem("ldap-user", Auth.Rbac.Verbs.List);
        var current = await settings.GetAsync(context.RequestAborted);
        if (!current.LdapAuth) throw Harbor.Precondition("auth_mode is not ldap_auth");
        var found = await ldap.SearchAsync(current.Ldap, username, context.RequestAborted);
        return [.. found.Select(u => new LdapUserDto(u.Username, u.Realname, u.Email))];
    }

    private static async Task<IResult> ImportAsync(HttpContext context, LdapImportUsers request, SystemSettings settings, ILdapDirectory ldap, IIdentityStore store, Auth.UserAuthenticator users, AuditLog audit)
    {
        var caller = context.RequireSystem("ldap-user", Auth.Rbac.Verbs.Create);
        var current = await settings.GetAsync(context.RequestAborted);
        if (!current.LdapAuth) throw Harbor.Precondition("auth_mode is not ldap_auth");
        var uids = request.LdapUidList!; // the validator checked it: 1 to 100 names
        var failed = new List<LdapFailedImportUser>();
        foreach (var uid in uids.Distinct())
        {
            var entry = (await ldap.SearchAsync(current.Ldap, uid, context.RequestAborted)).FirstOrDefault(u => u.Username == uid);
            if (entry is null) { failed.Add(new LdapFailedImportUser(uid, "not found in the directory")); continue; }
            if (await store.GetUserAsync(uid, context.RequestAborted) is not null) continue;
            if (await users.OnboardAsync(entry, context.RequestAborted) is null) { failed.Add(new LdapFailedImportUser(uid, "could not be created")); continue; }
            await audit.RecordAsync(caller.Username!, null, uid, "user", "import");
        }
        return failed.Count == 0 ? Results.Ok() : Results.Json(failed, ManagementJson.Options, statusCode: 404);
    }
}
