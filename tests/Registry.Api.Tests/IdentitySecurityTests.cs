using System.Security.Cryptography;
using System.Text.Json;

namespace Registry.Api.Tests;

/// <summary>Hostile input against the management API: brute force, forged tokens, and the audit trail of it all.</summary>
public sealed class IdentitySecurityTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private HarborApi Admin => registry.AdminApi;

    [Fact]
    public async Task RepeatedFailedLoginsAreThrottledPerUserAndAddress()
    {
        var (_, password) = await Admin.CreateUserAsync("brute");
        for (var i = 0; i < 10; i++)
            await HarborExpect.ErrorAsync(await registry.Api("brute", $"Wrong{i}Pass").GetAsync("/users/current"), HttpStatusCode.Unauthorized);

        // Now even the right password is refused for a while, on every door.
        var refused = await registry.Api("brute", password).GetAsync("/users/current");
        await HarborExpect.ErrorAsync(refused, HttpStatusCode.TooManyRequests, "TOO_MANY_REQUESTS");
        Assert.True(int.Parse(refused.Header("Retry-After")!) > 0);
        await Expect.ErrorAsync(await registry.WithBasic("brute", password).GetAsync("/v2/"), (HttpStatusCode)429, "TOOMANYREQUESTS");
        Assert.Equal((HttpStatusCode)429, (await registry.WithBasic("brute", password).GetAsync("/service/token?service=registry")).StatusCode);

        // Other users are not locked out.
        var (_, other) = await Admin.CreateUserAsync("bystander");
        await Expect.StatusAsync(await registry.Api("bystander", other).GetAsync("/users/current"), HttpStatusCode.OK);

        var failures = await Admin.JsonAsync("/audit-logs?q=username%3Dbrute,operation%3Dlogin&page_size=50");
        Assert.True(failures.GetArrayLength() >= 10);
        Assert.All(failures.EnumerateArray(), e => Assert.False(e.GetProperty("operation_result").GetBoolean()));
    }

    [Theory]
    [InlineData("alg-none")]
    [InlineData("hs256")]
    [InlineData("foreign-key")]
    [InlineData("garbage")]
    public async Task ForgedTokensAreRefusedByTheManagementApi(string kind)
    {
        var claims = Jwt.Claims("library/x", ["pull"]); // subject: admin
        var token = kind switch
        {
            "alg-none" => Jwt.Unsigned(claims, null),
            "hs256" => Jwt.SignHs256(claims, RandomNumberGenerator.GetBytes(32), null),
            "foreign-key" => Jwt.SignRs256(claims, RSA.Create(2048), null),
            _ => "a.b.c",
        };
        var api = new HarborApi(registry.WithBearer(token));
        await HarborExpect.ErrorAsync(await api.GetAsync("/users"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HarborExpect.ErrorAsync(await api.PostAsync("/projects", new { project_name = "forged" }), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task ARealTokenActsAsItsSubjectWithTheSubjectsCurrentRights()
    {
        var (id, password) = await Admin.CreateUserAsync("token-user");
        var token = (await Expect.JsonAsync(await registry.WithBasic("token-user", password).GetAsync("/service/token?service=registry"))).GetProperty("token").GetString()!;
        var api = new HarborApi(registry.WithBearer(token));
        Assert.Equal(id, (await api.JsonAsync("/users/current")).GetProperty("user_id").GetInt64());
        await HarborExpect.ErrorAsync(await api.GetAsync("/users"), HttpStatusCode.Forbidden);
        await Expect.StatusAsync(await Admin.DeleteAsync($"/users/{id}"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await api.GetAsync("/users/current"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task LoginsAndChangesAreAudited()
    {
        var (_, password) = await Admin.CreateUserAsync("audited");
        await Expect.StatusAsync(await registry.WithBasic("audited", password).GetAsync("/service/token?service=registry"), HttpStatusCode.OK);
        var projectId = await Admin.CreateProjectAsync("audited-project");
        await Admin.AddMemberAsync("audited-project", "audited", 2);

        var logins = await Admin.JsonAsync("/audit-logs?q=username%3Daudited,operation%3Dlogin");
        Assert.Contains(logins.EnumerateArray(), e => e.GetProperty("operation_result").GetBoolean());
        var all = await Admin.JsonAsync("/audit-logs?q=resource_type%3Duser,resource%3Daudited");
        Assert.Contains(all.EnumerateArray(), e => e.GetProperty("operation").GetString() == "create" && e.GetProperty("username").GetString() == "admin");

        var projectLogs = await Admin.JsonAsync($"/projects/audited-project/logs");
        var operations = projectLogs.EnumerateArray().Select(e => $"{e.GetProperty("resource_type").GetString()}:{e.GetProperty("operation").GetString()}").ToList();
        Assert.Contains("project:create", operations);
        Assert.Contains("member:create", operations);

        var from = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("yyyy-MM-dd HH:mm:ss");
        var to = DateTimeOffset.UtcNow.AddMinutes(5).ToString("yyyy-MM-dd HH:mm:ss");
        var ranged = await Admin.GetAsync($"/audit-logs?q=op_time%3D[{Uri.EscapeDataString(from)}~{Uri.EscapeDataString(to)}]");
        Assert.True((await Expect.JsonAsync(ranged)).GetArrayLength() > 0);
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/audit-logs?q=op_time%3D~x"), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await registry.Api("audited", password).GetAsync("/audit-logs"), HttpStatusCode.Forbidden);
        _ = projectId;
    }

    [Fact]
    public async Task ConfigurationIsForAdminsAndValidated()
    {
        var config = await Admin.JsonAsync("/configurations");
        Assert.Equal("db_auth", config.GetProperty("auth_mode").GetProperty("value").GetString());
        Assert.False(config.TryGetProperty("ldap_search_password", out _));
        await HarborExpect.ErrorAsync(await Admin.PutAsync("/configurations", new { auth_mode = "oidc_auth" }), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PutAsync("/configurations", new { token_expiration = 0 }), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PutAsync("/configurations", new { no_such_key = 1 }), HttpStatusCode.BadRequest);

        await Expect.StatusAsync(await Admin.PutAsync("/configurations", new { token_expiration = 5 }), HttpStatusCode.OK);
        var token = await Expect.JsonAsync(await registry.Admin.GetAsync("/service/token?service=registry"));
        Assert.Equal(300, token.GetProperty("expires_in").GetInt32());
        var exp = Jwt.Payload(token.GetProperty("token").GetString()!);
        Assert.InRange(exp.GetProperty("exp").GetInt64() - exp.GetProperty("iat").GetInt64(), 299, 301);
        await Expect.StatusAsync(await Admin.PutAsync("/configurations", new { token_expiration = 30 }), HttpStatusCode.OK);

        var (_, password) = await Admin.CreateUserAsync("config-peeker");
        await HarborExpect.ErrorAsync(await registry.Api("config-peeker", password).GetAsync("/configurations"), HttpStatusCode.Forbidden);
        // Switching to LDAP with local users would strand them.
        await HarborExpect.ErrorAsync(await Admin.PutAsync("/configurations", new { auth_mode = "ldap_auth" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task SystemInfoTellsAnonymousCallersOnlyWhatALoginPageNeeds()
    {
        var anonymous = await registry.AnonymousApi.JsonAsync("/systeminfo");
        Assert.Equal("db_auth", anonymous.GetProperty("auth_mode").GetString());
        Assert.False(anonymous.TryGetProperty("registry_storage_provider_name", out _));
        var admin = await Admin.JsonAsync("/systeminfo");
        Assert.Equal("filesystem", admin.GetProperty("registry_storage_provider_name").GetString());
        var health = await registry.AnonymousApi.JsonAsync("/health");
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Array, health.GetProperty("components").ValueKind);
    }
}
