using Registry.Api.Tests.Infrastructure;

namespace Registry.Api.Tests;

/// <summary>
/// <c>ldap_auth</c> through the API against a real slapd: configuration, ping, search, login with
/// onboarding, members added before their first login, local admin, and what LDAP mode refuses.
/// </summary>
public sealed class LdapApiTests : IAsyncLifetime
{
    private readonly LdapServer _ldap = new();
    private readonly RegistryFactory _registry = new();

    private HarborApi Admin => _registry.AdminApi;

    public async Task InitializeAsync()
    {
        await _ldap.StartAsync();
        await Expect.StatusAsync(await Admin.PutAsync("/configurations", new
        {
            auth_mode = "ldap_auth",
            ldap_url = _ldap.Url,
            ldap_search_dn = _ldap.SearchDn,
            ldap_search_password = _ldap.SearchPassword,
            ldap_base_dn = _ldap.PeopleDn,
            ldap_filter = "(objectClass=inetOrgPerson)",
            ldap_uid = "uid",
            ldap_scope = 2,
            ldap_timeout = 3,
        }), HttpStatusCode.OK);
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        await _ldap.DisposeAsync();
    }

    [Fact]
    public async Task PingUsesTheStoredSettingsOrTheGivenOnes()
    {
        var ok = await Admin.PostAsync("/ldap/ping", null);
        Assert.True((await Expect.JsonAsync(ok)).GetProperty("success").GetBoolean());
        var wrong = await Expect.JsonAsync(await Admin.PostAsync("/ldap/ping", new { ldap_search_password = "Wrong-Pass1" }));
        Assert.False(wrong.GetProperty("success").GetBoolean());
        Assert.DoesNotContain("Wrong-Pass1", wrong.GetProperty("message").GetString());
        var config = await Admin.JsonAsync("/configurations");
        Assert.Equal("ldap_auth", config.GetProperty("auth_mode").GetProperty("value").GetString());
        Assert.False(config.TryGetProperty("ldap_search_password", out _));
        Assert.DoesNotContain(_ldap.SearchPassword, config.GetRawText());
    }

    [Fact]
    public async Task DirectoryUsersSignInAreOnboardedAndAdminStaysLocal()
    {
        var search = await Admin.JsonAsync("/ldap/users/search?username=alice");
        var found = Assert.Single(search.EnumerateArray());
        Assert.Equal(LdapServer.Alice.Realname, found.GetProperty("realname").GetString());

        var token = await _registry.WithBasic("alice", LdapServer.Alice.Password).GetAsync("/service/token?service=registry");
        await Expect.StatusAsync(token, HttpStatusCode.OK);
        var alice = await _registry.Api("alice", LdapServer.Alice.Password).JsonAsync("/users/current");
        Assert.Equal(LdapServer.Alice.Email, alice.GetProperty("email").GetString());
        Assert.Equal(LdapServer.Alice.Realname, alice.GetProperty("realname").GetString());
        Assert.False(alice.GetProperty("sysadmin_flag").GetBoolean());

        await HarborExpect.ErrorAsync(await _registry.Api("alice", "Wrong-Pass1").GetAsync("/users/current"), HttpStatusCode.Unauthorized);
        await HarborExpect.ErrorAsync(await _registry.Api("eve", "Eve-Pass1").GetAsync("/users/current"), HttpStatusCode.Unauthorized); // outside the base DN
        await Expect.StatusAsync(await Admin.GetAsync("/users/current"), HttpStatusCode.OK);

        // A directory user's password is the directory's: no local change, no local creation.
        var id = alice.GetProperty("user_id").GetInt64();
        await HarborExpect.ErrorAsync(await _registry.Api("alice", LdapServer.Alice.Password).PutAsync($"/users/{id}/password",
            new { old_password = LdapServer.Alice.Password, new_password = "Local-Pass1" }), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/users", new { username = "local", password = "Local-Pass1" }), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ADirectoryUserCanBeAddedAsAMemberBeforeTheirFirstLoginAndPushesThen()
    {
        await Admin.CreateProjectAsync("ldap-team");
        await Admin.AddMemberAsync("ldap-team", "bob", 2);
        var bob = _registry.WithBasic("bob", LdapServer.Bob.Password);
        await bob.PushImageAsync("ldap-team/app", "v1");
        var members = await Admin.JsonAsync("/projects/ldap-team/members?entityname=bob");
        Assert.Equal("developer", Assert.Single(members.EnumerateArray()).GetProperty("role_name").GetString());
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/projects/ldap-team/members", new { role_id = 2, member_user = new { username = "nobody-in-ldap" } }), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ImportOnboardsListedUsersAndReportsUnknownOnes()
    {
        var response = await Admin.PostAsync("/ldap/users/import", new { ldap_uid_list = new[] { "carol", "ghost" } });
        await Expect.StatusAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("ghost", await response.Content.ReadAsStringAsync());
        Assert.Single((await Admin.JsonAsync("/users?q=username%3Dcarol")).EnumerateArray());
    }

    [Fact]
    public async Task AnUnreachableDirectoryIsAServiceProblemNotAWrongPassword()
    {
        await _ldap.StopAsync();
        try
        {
            var response = await _registry.Api("alice", LdapServer.Alice.Password).GetAsync("/users/current");
            await HarborExpect.ErrorAsync(response, HttpStatusCode.ServiceUnavailable);
            var ping = await Expect.JsonAsync(await Admin.PostAsync("/ldap/ping", null));
            Assert.False(ping.GetProperty("success").GetBoolean());
            await Expect.StatusAsync(await Admin.GetAsync("/users/current"), HttpStatusCode.OK); // the local admin is unaffected
        }
        finally
        {
            await _ldap.StartAsync();
        }
    }
}
