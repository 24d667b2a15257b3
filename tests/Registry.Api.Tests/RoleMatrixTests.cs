using System.Text.Json;

namespace Registry.Api.Tests;

/// <summary>
/// Members and Harbor's role matrix, enforced the same way on the distribution API, the token
/// service and the management API.
/// </summary>
public sealed class RoleMatrixTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private HarborApi Admin => registry.AdminApi;

    private async Task<(HarborApi Api, OciClient Oci, long UserId, long MemberId)> MemberAsync(string project, string username, int role)
    {
        var (id, password) = await Admin.CreateUserAsync(username);
        var member = await Admin.AddMemberAsync(project, username, role);
        return (registry.Api(username, password), registry.WithBasic(username, password), id, member);
    }

    private static async Task<string[]> GrantedAsync(OciClient client, string scope)
    {
        var token = (await Expect.JsonAsync(await client.GetAsync($"/service/token?service=registry&scope={Uri.EscapeDataString(scope)}"))).GetProperty("token").GetString()!;
        var access = Jwt.Payload(token).GetProperty("access").EnumerateArray().ToList();
        return access.Count == 0 ? [] : [.. access[0].GetProperty("actions").EnumerateArray().Select(a => a.GetString()!)];
    }

    [Fact]
    public async Task EachRoleGetsWhatHarborGivesIt()
    {
        await Admin.CreateProjectAsync("matrix");
        var image = await registry.Admin.PushImageAsync("matrix/app", "v1");
        var roles = new[] { ("m-admin", 1), ("m-dev", 2), ("m-guest", 3), ("m-maint", 4), ("m-limited", 5) };
        foreach (var (name, _) in roles) await Admin.CreateUserAsync("helper-" + name);
        var expected = new Dictionary<string, string[]>
        {
            ["m-admin"] = ["*"], ["m-maint"] = ["*"], ["m-dev"] = ["pull", "push"], ["m-guest"] = ["pull"], ["m-limited"] = ["pull"],
        };
        foreach (var (name, role) in roles)
        {
            var (api, oci, _, _) = await MemberAsync("matrix", name, role);
            Assert.Equal(expected[name], await GrantedAsync(oci, "repository:matrix/app:*"));
            await Expect.StatusAsync(await oci.GetAsync($"/v2/matrix/app/manifests/v1"), HttpStatusCode.OK);

            var canPush = role is 1 or 2 or 4;
            var blob = Oci.RandomBytes();
            Assert.Equal(canPush ? HttpStatusCode.Created : HttpStatusCode.Forbidden, (await oci.PostBlobAsync("matrix/app", blob, Oci.Digest(blob))).StatusCode);

            // Members list: everyone but Limited Guest; adding members: Project Admin only.
            Assert.Equal(role == 5 ? HttpStatusCode.Forbidden : HttpStatusCode.OK, (await api.GetAsync("/projects/matrix/members")).StatusCode);
            Assert.Equal(role == 1 ? HttpStatusCode.Created : HttpStatusCode.Forbidden,
                (await api.PostAsync("/projects/matrix/members", new { role_id = 3, member_user = new { username = "helper-" + name } })).StatusCode);

            // Project settings: Project Admin only.
            var put = await api.PutAsync("/projects/matrix", new { metadata = new { @public = "false" } });
            Assert.True((role == 1 ? HttpStatusCode.OK : HttpStatusCode.Forbidden) == put.StatusCode, $"{name}: {put.StatusCode} {await put.Content.ReadAsStringAsync()}");

            var permissions = await api.JsonAsync("/users/current/permissions?scope=/project/matrix&relative=true");
            var set = permissions.EnumerateArray().Select(p => $"{p.GetProperty("resource").GetString()}:{p.GetProperty("action").GetString()}").ToHashSet();
            Assert.Equal(role is 1 or 4, set.Contains("artifact:delete"));
            Assert.Equal(role is 1 or 2 or 4, set.Contains("repository:push"));
            Assert.Equal(role is 1 or 4, set.Contains("immutable-tag:create"));
            Assert.Equal(role == 1, set.Contains("robot:create"));
            Assert.Contains("repository:pull", set);
        }

        // Deleting by digest: Maintainer yes, Developer no.
        var developer = registry.WithBasic("m-dev", await PasswordOfAsync("m-dev"));
        Assert.Equal(HttpStatusCode.Forbidden, (await developer.DeleteAsync($"/v2/matrix/app/manifests/{image.Manifest.Digest}")).StatusCode);
    }

    // The test users' passwords are random: reset one to a known value when a test needs it again.
    private async Task<string> PasswordOfAsync(string username)
    {
        var id = (await Admin.JsonAsync($"/users?q=username%3D{username}"))[0].GetProperty("user_id").GetInt64();
        await Expect.StatusAsync(await Admin.PutAsync($"/users/{id}/password", new { new_password = "Known1Password" }), HttpStatusCode.OK);
        return "Known1Password";
    }

    [Fact]
    public async Task MembersAreAddedByNameOrIdChangedAndRemovedAndRemovalEndsAccessAtOnce()
    {
        await Admin.CreateProjectAsync("team");
        await registry.Admin.PushImageAsync("team/app", "v1");
        var (api, oci, userId, memberId) = await MemberAsync("team", "tessa", 3);
        await Expect.StatusAsync(await oci.GetAsync("/v2/team/app/manifests/v1"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/projects/team/members", new { role_id = 2, member_user = new { user_id = userId } }), HttpStatusCode.Conflict, "CONFLICT");
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/projects/team/members", new { role_id = 9, member_user = new { user_id = userId } }), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/projects/team/members", new { role_id = 2, member_user = new { username = "nobody-here" } }), HttpStatusCode.NotFound);

        var members = await Admin.JsonAsync("/projects/team/members?entityname=tess");
        var entry = Assert.Single(members.EnumerateArray());
        Assert.Equal("guest", entry.GetProperty("role_name").GetString());
        Assert.Equal(userId, entry.GetProperty("entity_id").GetInt64());

        await Expect.StatusAsync(await Admin.PutAsync($"/projects/team/members/{memberId}", new { role_id = 2 }), HttpStatusCode.OK);
        Assert.Equal(["pull", "push"], await GrantedAsync(oci, "repository:team/app:pull,push"));

        await Expect.StatusAsync(await Admin.DeleteAsync($"/projects/team/members/{memberId}"), HttpStatusCode.OK);
        Assert.Empty(await GrantedAsync(oci, "repository:team/app:pull"));
        await Expect.ErrorAsync(await oci.GetAsync("/v2/team/app/manifests/v1"), HttpStatusCode.Forbidden, "DENIED");
        await HarborExpect.ErrorAsync(await api.GetAsync("/projects/team"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AMemberIdOfAnotherProjectIsNotFoundThroughThisOne()
    {
        await Admin.CreateProjectAsync("mine");
        await Admin.CreateProjectAsync("theirs");
        var (_, _, _, theirMember) = await MemberAsync("theirs", "their-dev", 2);
        var (mine, _, _, _) = await MemberAsync("mine", "my-admin", 1);
        await HarborExpect.ErrorAsync(await mine.GetAsync($"/projects/mine/members/{theirMember}"), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await mine.PutAsync($"/projects/mine/members/{theirMember}", new { role_id = 1 }), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await mine.DeleteAsync($"/projects/mine/members/{theirMember}"), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await mine.DeleteAsync($"/projects/theirs/members/{theirMember}"), HttpStatusCode.NotFound);
        var theirsId = (await Admin.JsonAsync("/projects/theirs")).GetProperty("project_id").GetInt64();
        // The logs path takes a name only (Harbor's project_name), so it is asked by name.
        foreach (var path in new[] { $"/projects/{theirsId}", $"/projects/{theirsId}/members", $"/projects/{theirsId}/summary", "/projects/theirs/logs", "/projects/theirs/repositories" })
            await HarborExpect.ErrorAsync(await mine.GetAsync(path), HttpStatusCode.NotFound);
        Assert.Single((await Admin.JsonAsync("/projects/theirs/members?entityname=their-dev")).EnumerateArray());
    }

    [Fact]
    public async Task TheMemberListIsPagedWithTotalAndLinkAndSortsOnlyOnKnownFields()
    {
        await Admin.CreateProjectAsync("crowd");
        for (var i = 0; i < 3; i++) await MemberAsync("crowd", $"crowd-{i}", 2);
        var all = (await Admin.JsonAsync("/projects/crowd/members?page_size=100")).GetArrayLength();
        Assert.True(all >= 3);
        var first = await Admin.GetAsync("/projects/crowd/members?page=1&page_size=2");
        Assert.Equal(2, (await Expect.JsonAsync(first)).GetArrayLength());
        Assert.Equal(all.ToString(System.Globalization.CultureInfo.InvariantCulture), first.Header("X-Total-Count"));
        Assert.Contains("rel=\"next\"", first.Header("Link"));
        var filtered = await Admin.GetAsync("/projects/crowd/members?entityname=crowd-&page_size=2&page=2");
        Assert.Single((await Expect.JsonAsync(filtered)).EnumerateArray());
        Assert.Equal("3", filtered.Header("X-Total-Count"));
        Assert.Contains("rel=\"prev\"", filtered.Header("Link"));
        Assert.DoesNotContain("rel=\"next\"", filtered.Header("Link"));
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/projects/crowd/members?sort=password"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/projects/crowd/members?sort=user_id"), HttpStatusCode.BadRequest, "BAD_REQUEST");
    }

    [Fact]
    public async Task AMountFromARepositoryTheCallerCannotReadIsAPlainUploadSession()
    {
        await Admin.CreateProjectAsync("vault");
        var secret = await registry.Admin.PushImageAsync("vault/app", "v1");
        await Admin.CreateProjectAsync("open");
        var (_, oci, _, _) = await MemberAsync("open", "mounter", 2);
        var mount = await oci.SendAsync(HttpMethod.Post, $"/v2/open/app/blobs/uploads/?mount={secret.Layer.Digest}&from=vault/app");
        await Expect.StatusAsync(mount, HttpStatusCode.Accepted);
        await Expect.ErrorAsync(await oci.GetAsync($"/v2/open/app/blobs/{secret.Layer.Digest}"), HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Fact]
    public async Task ThePermissionsEndpointAnswersForTheSystemScope()
    {
        var admin = await Admin.JsonAsync("/users/current/permissions");
        Assert.Contains(admin.EnumerateArray(), p => p.GetProperty("resource").GetString() == "/user" && p.GetProperty("action").GetString() == "list");
        var (_, password) = await Admin.CreateUserAsync("plain-user");
        var plain = await registry.Api("plain-user", password).JsonAsync("/users/current/permissions");
        Assert.DoesNotContain(plain.EnumerateArray(), p => p.GetProperty("resource").GetString() == "/user");
        Assert.Equal(JsonValueKind.Array, plain.ValueKind);
    }
}
