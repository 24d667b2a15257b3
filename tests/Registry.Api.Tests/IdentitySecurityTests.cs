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
    [InlineData("expired")]
    [InlineData("garbage")]
    [InlineData("embedded-jwk")]
    [InlineData("x5c")]
    [InlineData("not-yet-valid")]
    public async Task ForgedTokensAreRefusedByTheManagementApi(string kind)
    {
        var claims = Jwt.Claims("library/x", ["pull"]); // subject: admin
        var token = kind switch
        {
            "alg-none" => Jwt.Unsigned(claims, null),
            "hs256" => Jwt.SignHs256(claims, RandomNumberGenerator.GetBytes(32), null),
            "foreign-key" => Jwt.SignRs256(claims, RSA.Create(2048), null),
            "expired" => await RealTokenAsync(Jwt.Claims("library/x", ["pull"], DateTimeOffset.UtcNow.AddHours(-1))),
            "embedded-jwk" => Jwt.SignRs256WithEmbeddedJwk(claims, RSA.Create(2048), null),
            "x5c" => Jwt.SignRs256WithX5c(claims, RSA.Create(2048), null),
            "not-yet-valid" => await RealTokenAsync(Jwt.Claims("library/x", ["pull"], DateTimeOffset.UtcNow.AddHours(2), notBefore: DateTimeOffset.UtcNow.AddHours(1))),
            _ => "a.b.c",
        };
        var api = new HarborApi(registry.WithBearer(token));
        await HarborExpect.ErrorAsync(await api.GetAsync("/users"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HarborExpect.ErrorAsync(await api.PostAsync("/projects", new { project_name = "forged" }), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    /// <summary><paramref name="claims"/> signed with the registry's own key (an expired or not yet valid token of its own).</summary>
    private async Task<string> RealTokenAsync(System.Text.Json.Nodes.JsonObject claims)
    {
        var keys = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Registry.Api.Auth.TokenKeys>(registry.Services);
        await Expect.StatusAsync(await registry.Admin.GetAsync("/v2/"), HttpStatusCode.OK);
        return Jwt.SignRs256(claims, keys.Key.Rsa, keys.Key.KeyId);
    }

    [Fact]
    public async Task NonAdminsCannotEnumerateUsersOrFilterOnSecrets()
    {
        var (victim, _) = await Admin.CreateUserAsync("enum-victim");
        var (_, password) = await Admin.CreateUserAsync("enum-prober");
        var prober = registry.Api("enum-prober", password);
        var existing = await HarborExpect.ErrorAsync(await prober.GetAsync($"/users/{victim}"), HttpStatusCode.Forbidden);
        var missing = await HarborExpect.ErrorAsync(await prober.GetAsync("/users/999999"), HttpStatusCode.Forbidden);
        Assert.Equal(existing, missing);
        await HarborExpect.ErrorAsync(await prober.GetAsync("/users"), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await registry.AnonymousApi.GetAsync("/users/search?username=enum"), HttpStatusCode.Unauthorized);

        // Wrong password and unknown user answer alike.
        var wrong = await HarborExpect.ErrorAsync(await registry.Api("enum-victim", "Wrong1Password").GetAsync("/users/current"), HttpStatusCode.Unauthorized);
        var unknown = await HarborExpect.ErrorAsync(await registry.Api("enum-nobody", "Wrong1Password").GetAsync("/users/current"), HttpStatusCode.Unauthorized);
        Assert.Equal(wrong, unknown);

        // Filters exist only on listed fields: no probing of hashes or secrets.
        foreach (var path in new[] { "/users?q=password%3D~pbkdf2", "/users?q=password_hash%3D~a", "/users?sort=password", "/robots?q=secret%3D~a", "/robots?q=secret_hash%3D~a", "/projects?q=owner_password%3D~a" })
            await HarborExpect.ErrorAsync(await Admin.GetAsync(path), HttpStatusCode.BadRequest, "BAD_REQUEST");
    }

    [Fact]
    public async Task AnUnknownUserCostsAFullPasswordHashSoTimingTellsNothing()
    {
        // Orders of magnitude separate a PBKDF2 verification (tens of ms) from a lookup miss (microseconds):
        // an unknown name must take the same road as a wrong password.
        var users = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Registry.Api.Auth.UserAuthenticator>(registry.Services);
        await Admin.CreateUserAsync("timing-known");
        // The fastest of several attempts: other tests running alongside only ever add time, so the
        // minimum is what the code itself costs.
        async Task<double> MeasureAsync(string user)
        {
            var fastest = double.MaxValue;
            for (var i = 0; i < 8; i++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                Assert.Null(await users.AuthenticateAsync(user, $"Wrong{i}Password"));
                fastest = Math.Min(fastest, clock.Elapsed.TotalMilliseconds);
            }
            return fastest;
        }
        await MeasureAsync("timing-known"); // warm up
        var known = await MeasureAsync("timing-known");
        var unknown = await MeasureAsync("timing-unknown-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.True(unknown > known * 0.3, $"unknown user {unknown:F2} ms vs wrong password {known:F2} ms (fastest of 8 each)");
        // And the comparison of the derived key is constant-time (FixedTimeEquals): a hash differing in its
        // first byte and one differing in its last are both refused.
        var hash = Registry.Api.Auth.PasswordHasher.Hash("Right1Password");
        Assert.True(Registry.Api.Auth.PasswordHasher.Verify("Right1Password", hash));
        Assert.False(Registry.Api.Auth.PasswordHasher.Verify("Right1Passwore", hash));
        Assert.False(Registry.Api.Auth.PasswordHasher.Verify("right1Password", hash));
    }

    [Fact]
    public async Task AMaintainerCannotRaiseTheirOwnRoleOrChangeProjectSettings()
    {
        await Admin.CreateProjectAsync("escalate");
        var (_, password) = await Admin.CreateUserAsync("maint");
        var memberId = await Admin.AddMemberAsync("escalate", "maint", 4);
        var maint = registry.Api("maint", password);
        await HarborExpect.ErrorAsync(await maint.PutAsync($"/projects/escalate/members/{memberId}", new { role_id = 1 }), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await maint.PutAsync("/projects/escalate", new { metadata = new { @public = "true" } }), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await maint.PostAsync("/projects/escalate/members", new { role_id = 1, member_user = new { username = "maint" } }), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await maint.DeleteAsync("/projects/escalate"), HttpStatusCode.Forbidden);
        Assert.Equal("false", (await Admin.JsonAsync("/projects/escalate")).GetProperty("metadata").GetProperty("public").GetString());
        Assert.Equal(4, (await Admin.JsonAsync($"/projects/escalate/members/{memberId}")).GetProperty("role_id").GetInt32());
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
    public async Task ATokenIsExchangedOnlyForWhatItsSubjectMayDoNow()
    {
        var (id, password) = await Admin.CreateUserAsync("exchanger");
        await Admin.CreateProjectAsync("exchange");
        var member = await Admin.AddMemberAsync("exchange", "exchanger", 3);
        var identity = (await Expect.JsonAsync(await registry.WithBasic("exchanger", password).GetAsync("/service/token?service=registry"))).GetProperty("token").GetString()!;
        Assert.Empty(Jwt.Payload(identity).GetProperty("access").EnumerateArray());

        var scoped = await Expect.JsonAsync(await registry.WithBearer(identity).GetAsync("/service/token?service=registry&scope=repository:exchange/app:pull,push"));
        var access = Assert.Single(Jwt.Payload(scoped.GetProperty("token").GetString()!).GetProperty("access").EnumerateArray());
        Assert.Equal(["pull"], access.Strings("actions")); // a guest: pull only, whatever was asked

        await Expect.StatusAsync(await Admin.DeleteAsync($"/projects/exchange/members/{member}"), HttpStatusCode.OK);
        var after = await Expect.JsonAsync(await registry.WithBearer(identity).GetAsync("/service/token?service=registry&scope=repository:exchange/app:pull"));
        Assert.Empty(Assert.Single(Jwt.Payload(after.GetProperty("token").GetString()!).GetProperty("access").EnumerateArray()).GetProperty("actions").EnumerateArray());

        await Expect.StatusAsync(await Admin.DeleteAsync($"/users/{id}"), HttpStatusCode.OK);
        await Expect.StatusAsync(await registry.WithBearer(identity).GetAsync("/service/token?service=registry&scope=repository:library/x:pull"), HttpStatusCode.Unauthorized);
        await Expect.StatusAsync(await registry.WithBearer("not.a.token").GetAsync("/service/token?service=registry"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task LoginsAndChangesAreAudited()
    {
        var (_, password) = await Admin.CreateUserAsync("audited");
        await Expect.StatusAsync(await registry.WithBasic("audited", password).GetAsync("/service/token?service=registry"), HttpStatusCode.OK);
        var projectId = await Admin.CreateProjectAsync("audited-project");
        await Admin.AddMemberAsync("audited-project", "audited", 2);
        var image = await registry.WithBasic("audited", password).PushImageAsync("audited-project/app", "v1");
        await Expect.StatusAsync(await registry.Admin.DeleteAsync("/v2/audited-project/app/manifests/v1"), HttpStatusCode.Accepted);

        var logins = await Admin.JsonAsync("/audit-logs?q=username%3Daudited,operation%3Dlogin");
        Assert.Contains(logins.EnumerateArray(), e => e.GetProperty("operation_result").GetBoolean());
        var all = await Admin.JsonAsync("/audit-logs?q=resource_type%3Duser,resource%3Daudited");
        Assert.Contains(all.EnumerateArray(), e => e.GetProperty("operation").GetString() == "create" && e.GetProperty("username").GetString() == "admin");

        var projectLogs = await Admin.JsonAsync($"/projects/audited-project/logs");
        var operations = projectLogs.EnumerateArray().Select(e => $"{e.GetProperty("resource_type").GetString()}:{e.GetProperty("operation").GetString()}").ToList();
        Assert.Contains("project:create", operations);
        Assert.Contains("member:create", operations);
        Assert.Contains(projectLogs.EnumerateArray(), e => e.GetProperty("resource").GetString() == "audited-project/app:v1"
            && e.GetProperty("operation").GetString() == "create" && e.GetProperty("username").GetString() == "audited");
        Assert.Contains(projectLogs.EnumerateArray(), e => e.GetProperty("resource").GetString() == "audited-project/app:v1"
            && e.GetProperty("operation").GetString() == "delete" && e.GetProperty("resource_type").GetString() == "tag");
        _ = image;

        var from = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("yyyy-MM-dd HH:mm:ss");
        var to = DateTimeOffset.UtcNow.AddMinutes(5).ToString("yyyy-MM-dd HH:mm:ss");
        var ranged = await Admin.GetAsync($"/audit-logs?q=op_time%3D[{Uri.EscapeDataString(from)}~{Uri.EscapeDataString(to)}]");
        Assert.True((await Expect.JsonAsync(ranged)).GetArrayLength() > 0);
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/audit-logs?q=op_time%3D~x"), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await registry.Api("audited", password).GetAsync("/audit-logs"), HttpStatusCode.Forbidden);
        _ = projectId;
    }

    [Fact]
    public async Task TheAuditLogIsPagedWithTotalAndLinkAndSortsOnlyOnKnownFields()
    {
        for (var i = 0; i < 3; i++) await Admin.CreateProjectAsync($"audit-pager-{i}");
        await PagingExpect.ThreeInPagesOfTwoAsync(Admin, "/audit-logs?q=resource%3D~audit-pager-,operation%3Dcreate&sort=op_time", "resource",
            ["audit-pager-0", "audit-pager-1", "audit-pager-2"]);
        var project = await Admin.GetAsync("/projects/audit-pager-0/logs?page_size=1");
        Assert.Equal(1, (await Expect.JsonAsync(project)).GetArrayLength());
        Assert.NotNull(project.Header("X-Total-Count"));
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/audit-logs?sort=result"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/audit-logs?sort=resource"), HttpStatusCode.BadRequest, "BAD_REQUEST"); // not a 500: time is the only order
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/projects/audit-pager-0/logs?sort=username"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/audit-logs?sort=-project_id"), HttpStatusCode.BadRequest, "BAD_REQUEST");
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
