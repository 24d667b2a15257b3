namespace Registry.Api.Tests;

/// <summary>Harbor's users API: creation and password policy, profiles, passwords, admin flag, self-registration.</summary>
public sealed class UserApiTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private HarborApi Admin => registry.AdminApi;

    [Fact]
    public async Task AdminsCreateUsersAndResponsesNeverCarryPasswords()
    {
        var (id, password) = await Admin.CreateUserAsync("ursula");
        var response = await Admin.GetAsync($"/users/{id}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("password", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("pbkdf2", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("salt", body, StringComparison.OrdinalIgnoreCase);
        var user = await Expect.JsonAsync(response);
        Assert.Equal("ursula", user.GetProperty("username").GetString());
        Assert.Equal("ursula@example.org", user.GetProperty("email").GetString());
        Assert.False(user.GetProperty("sysadmin_flag").GetBoolean());

        var list = await Admin.GetAsync("/users?username=ursula");
        Assert.DoesNotContain("pbkdf2", await list.Content.ReadAsStringAsync());
        var current = await registry.Api("ursula", password).JsonAsync("/users/current");
        Assert.Equal(id, current.GetProperty("user_id").GetInt64());
    }

    [Theory]
    [InlineData("short1A")]
    [InlineData("alllowercase1")]
    [InlineData("ALLUPPERCASE1")]
    [InlineData("NoDigitsHere")]
    public async Task PasswordsFollowHarborsPolicy(string password)
    {
        var message = await HarborExpect.ErrorAsync(await Admin.PostAsync("/users", new { username = "weak-" + password.Length + password[0], email = "", password }),
            HttpStatusCode.BadRequest, "BAD_REQUEST");
        Assert.Contains("password", message);
    }

    [Fact]
    public async Task DuplicatesConflictAndOnlyAdminsListOrCreate()
    {
        var (_, password) = await Admin.CreateUserAsync("dora");
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/users", new { username = "DORA", password = "Another1Pass" }), HttpStatusCode.Conflict, "CONFLICT");
        var dora = registry.Api("dora", password);
        await HarborExpect.ErrorAsync(await dora.GetAsync("/users"), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborExpect.ErrorAsync(await dora.PostAsync("/users", new { username = "dora2", password = "Another1Pass" }), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborExpect.ErrorAsync(await registry.AnonymousApi.PostAsync("/users", new { username = "anon1", password = "Another1Pass" }), HttpStatusCode.Forbidden, "FORBIDDEN");
        var found = await dora.JsonAsync("/users/search?username=dor");
        Assert.Contains(found.EnumerateArray(), u => u.GetProperty("username").GetString() == "dora");
        Assert.DoesNotContain("email", found.GetRawText());
    }

    [Fact]
    public async Task AUserChangesTheirPasswordWithTheOldOneAndTheOldOneStopsWorkingAtOnce()
    {
        var (id, password) = await Admin.CreateUserAsync("pat");
        var pat = registry.Api("pat", password);
        await Expect.StatusAsync(await pat.GetAsync("/users/current"), HttpStatusCode.OK); // now cached
        await Expect.StatusAsync(await registry.WithBasic("pat", password).GetAsync("/v2/"), HttpStatusCode.OK);

        await HarborExpect.ErrorAsync(await pat.PutAsync($"/users/{id}/password", new { new_password = "Brand1NewPass" }), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await pat.PutAsync($"/users/{id}/password", new { old_password = "Wrong1Pass", new_password = "Brand1NewPass" }), HttpStatusCode.Forbidden);
        await Expect.StatusAsync(await pat.PutAsync($"/users/{id}/password", new { old_password = password, new_password = "Brand1NewPass" }), HttpStatusCode.OK);

        await HarborExpect.ErrorAsync(await pat.GetAsync("/users/current"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await Expect.StatusAsync(await registry.WithBasic("pat", password).GetAsync("/v2/"), HttpStatusCode.Unauthorized);
        await Expect.StatusAsync(await registry.Api("pat", "Brand1NewPass").GetAsync("/users/current"), HttpStatusCode.OK);

        // An admin resets it without the old one.
        await Expect.StatusAsync(await Admin.PutAsync($"/users/{id}/password", new { new_password = "Reset1ByAdmin" }), HttpStatusCode.OK);
        await Expect.StatusAsync(await registry.Api("pat", "Reset1ByAdmin").GetAsync("/users/current"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task MassAssignmentOfTheAdminFlagIsIgnoredOrRefused()
    {
        var (id, password) = await Admin.CreateUserAsync("mallory");
        var mallory = registry.Api("mallory", password);
        await Expect.StatusAsync(await mallory.PutAsync($"/users/{id}", new { realname = "M", sysadmin_flag = true }), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await mallory.PutAsync($"/users/{id}/sysadmin", new { sysadmin_flag = true }), HttpStatusCode.Forbidden);
        await Admin.PostAsync("/users", new { username = "sneaky", password = "Sneaky1Pass", sysadmin_flag = true });
        var sneaky = await Admin.JsonAsync("/users?username=sneaky");
        Assert.False(sneaky[0].GetProperty("sysadmin_flag").GetBoolean());
        Assert.False((await Admin.JsonAsync($"/users/{id}")).GetProperty("sysadmin_flag").GetBoolean());
        Assert.Equal("M", (await Admin.JsonAsync($"/users/{id}")).GetProperty("realname").GetString());

        // Another user's profile is out of reach.
        var (other, _) = await Admin.CreateUserAsync("victim");
        await HarborExpect.ErrorAsync(await mallory.GetAsync($"/users/{other}"), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await mallory.PutAsync($"/users/{other}/password", new { old_password = "x", new_password = "Taken1Over" }), HttpStatusCode.Forbidden);

        // The admin grants it; the new admin can list users at once.
        await Expect.StatusAsync(await Admin.PutAsync($"/users/{id}/sysadmin", new { sysadmin_flag = true }), HttpStatusCode.OK);
        await Expect.StatusAsync(await mallory.GetAsync("/users"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await mallory.DeleteAsync("/users/1"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task DeletingAUserEndsTheirAccess()
    {
        var (id, password) = await Admin.CreateUserAsync("gone");
        await Expect.StatusAsync(await registry.Api("gone", password).GetAsync("/users/current"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.DeleteAsync($"/users/{id}"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await registry.Api("gone", password).GetAsync("/users/current"), HttpStatusCode.Unauthorized);
        await HarborExpect.ErrorAsync(await Admin.GetAsync($"/users/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SelfRegistrationWorksOnlyWhenEnabled()
    {
        var body = new { username = "selfie", email = "selfie@example.org", password = "Selfie1Pass" };
        await HarborExpect.ErrorAsync(await registry.AnonymousApi.PostAsync("/users", body), HttpStatusCode.Forbidden);
        await Expect.StatusAsync(await Admin.PutAsync("/configurations", new { self_registration = true }), HttpStatusCode.OK);
        try
        {
            await Expect.StatusAsync(await registry.AnonymousApi.PostAsync("/users", body), HttpStatusCode.Created);
            await Expect.StatusAsync(await registry.Api("selfie", "Selfie1Pass").GetAsync("/users/current"), HttpStatusCode.OK);
        }
        finally
        {
            await Expect.StatusAsync(await Admin.PutAsync("/configurations", new { self_registration = false }), HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task ASystemRobotThatMayOnlyReadUsersCannotChangeThem()
    {
        var (id, password) = await Admin.CreateUserAsync("robot-target");
        var response = await Admin.PostAsync("/robots", new
        {
            name = "user-reader", level = "system", duration = -1,
            permissions = new[] { new { kind = "system", @namespace = "/", access = new[] { new { resource = "user", action = "read" }, new { resource = "user", action = "list" } } } },
        });
        await Expect.StatusAsync(response, HttpStatusCode.Created);
        var created = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var robot = registry.Api(created.GetProperty("name").GetString()!, created.GetProperty("secret").GetString()!);

        // Reading is what it was given.
        Assert.Equal("robot-target", (await robot.JsonAsync($"/users/{id}")).GetProperty("username").GetString());
        await Expect.StatusAsync(await robot.GetAsync("/users"), HttpStatusCode.OK);

        // Writing is not: neither another user's profile nor their password, even with the old one.
        await HarborExpect.ErrorAsync(await robot.PutAsync($"/users/{id}", new { realname = "Taken Over", email = "taken@example.org" }), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborExpect.ErrorAsync(await robot.PutAsync($"/users/{id}/password", new { old_password = password, new_password = "Taken1Over" }), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborExpect.ErrorAsync(await robot.PutAsync($"/users/{id}/sysadmin", new { sysadmin_flag = true }), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborExpect.ErrorAsync(await robot.DeleteAsync($"/users/{id}"), HttpStatusCode.Forbidden, "FORBIDDEN");

        var user = await Admin.JsonAsync($"/users/{id}");
        Assert.Equal("robot-target", user.GetProperty("realname").GetString());
        Assert.Equal("robot-target@example.org", user.GetProperty("email").GetString());
        Assert.False(user.GetProperty("sysadmin_flag").GetBoolean());
        await Expect.StatusAsync(await registry.Api("robot-target", password).GetAsync("/users/current"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheAdminFlagMustBeGivenNotDefaulted()
    {
        var (id, _) = await Admin.CreateUserAsync("flagged");
        await Expect.StatusAsync(await Admin.PutAsync($"/users/{id}/sysadmin", new { sysadmin_flag = true }), HttpStatusCode.OK);
        var message = await HarborExpect.ErrorAsync(await Admin.PutAsync($"/users/{id}/sysadmin", new { }), HttpStatusCode.BadRequest, "BAD_REQUEST");
        Assert.Contains("sysadmin_flag", message);
        await HarborExpect.ErrorAsync(await Admin.PutAsync($"/users/{id}/sysadmin", new { sysadmin_flag = (bool?)null }), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.PutAsync($"/users/{id}/sysadmin", new { sysadmin_flag = "yes" }), HttpStatusCode.BadRequest, "BAD_REQUEST");
        Assert.True((await Admin.JsonAsync($"/users/{id}")).GetProperty("sysadmin_flag").GetBoolean()); // unchanged by the refused bodies
        await Expect.StatusAsync(await Admin.PutAsync($"/users/{id}/sysadmin", new { sysadmin_flag = false }), HttpStatusCode.OK);
        Assert.False((await Admin.JsonAsync($"/users/{id}")).GetProperty("sysadmin_flag").GetBoolean());
    }

    [Fact]
    public async Task AnLdapImportNeedsAListOfNames()
    {
        // Checked before anything else, whatever the auth mode (db_auth here).
        foreach (var body in new object[] { new { }, new { ldap_uid_list = Array.Empty<string>() }, new { ldap_uid_list = new[] { "" } }, new { ldap_uid_list = new[] { new string('a', 256) } } })
            await HarborExpect.ErrorAsync(await Admin.PostAsync("/ldap/users/import", body), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/ldap/users/import", new { ldap_uid_list = Enumerable.Range(0, 101).Select(i => $"u{i}").ToArray() }),
            HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/ldap/users/import", new { ldap_uid_list = new[] { "alice" } }), HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task ThePermissionsOfANonAdminLackProjectCreationWhileOnlyAdminsMayCreateProjects()
    {
        var (_, password) = await Admin.CreateUserAsync("perm-user");
        var user = registry.Api("perm-user", password);
        static bool CanCreateProjects(System.Text.Json.JsonElement permissions) =>
            permissions.EnumerateArray().Any(p => p.GetProperty("resource").GetString() == "/project" && p.GetProperty("action").GetString() == "create");
        Assert.True(CanCreateProjects(await user.JsonAsync("/users/current/permissions")));
        await Expect.StatusAsync(await Admin.PutAsync("/configurations", new { project_creation_restriction = "adminonly" }), HttpStatusCode.OK);
        try
        {
            Assert.False(CanCreateProjects(await user.JsonAsync("/users/current/permissions")));
            await HarborExpect.ErrorAsync(await user.PostAsync("/projects", new { project_name = "perm-user-project" }), HttpStatusCode.Forbidden);
            Assert.True(CanCreateProjects(await Admin.JsonAsync("/users/current/permissions")));
        }
        finally
        {
            await Expect.StatusAsync(await Admin.PutAsync("/configurations", new { project_creation_restriction = "everyone" }), HttpStatusCode.OK);
        }
        Assert.True(CanCreateProjects(await user.JsonAsync("/users/current/permissions")));
    }

    [Fact]
    public async Task TheUserListIsPagedWithTotalAndLinkAndSortsOnlyOnKnownFields()
    {
        for (var i = 0; i < 3; i++) await Admin.CreateUserAsync($"pager-{i}");
        await PagingExpect.ThreeInPagesOfTwoAsync(Admin, "/users?q=username%3D~pager-&sort=username", "username", ["pager-0", "pager-1", "pager-2"]);
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/users?sort=sysadmin_flag"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/users?sort=-nonsense"), HttpStatusCode.BadRequest, "BAD_REQUEST");
    }
}
