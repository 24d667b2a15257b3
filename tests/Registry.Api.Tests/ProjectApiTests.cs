namespace Registry.Api.Tests;

/// <summary>Harbor's projects API: create, list, get by name or id, update, delete, summary.</summary>
public sealed class ProjectApiTests(RegistryFactory registry) : IClassFixture<RegistryFactory>
{
    private HarborApi Admin => registry.AdminApi;

    [Fact]
    public async Task CreateAnswers201WithLocationAndTheProjectReadsBackByIdAndName()
    {
        var id = await Admin.CreateProjectAsync("created-one", isPublic: true);
        var byId = await Admin.JsonAsync($"/projects/{id}");
        Assert.Equal("created-one", byId.GetProperty("name").GetString());
        Assert.Equal(id, byId.GetProperty("project_id").GetInt64());
        Assert.Equal("true", byId.GetProperty("metadata").GetProperty("public").GetString());
        Assert.Equal("admin", byId.GetProperty("owner_name").GetString());
        Assert.Equal(0, byId.GetProperty("repo_count").GetInt64());
        var byName = await Admin.JsonAsync("/projects/created-one");
        Assert.Equal(id, byName.GetProperty("project_id").GetInt64());

        await Expect.StatusAsync(await Admin.Client.HeadAsync("/api/v2.0/projects?project_name=created-one"), HttpStatusCode.OK);
        await Expect.StatusAsync(await Admin.Client.HeadAsync("/api/v2.0/projects?project_name=not-there"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ANumericNameIsANameWithXIsResourceName()
    {
        var id = await Admin.CreateProjectAsync("4242");
        var response = await Admin.Client.SendAsync(HttpMethod.Get, "/api/v2.0/projects/4242", configure: r => r.Headers.Add("X-Is-Resource-Name", "true"));
        Assert.Equal(id, (await Expect.JsonAsync(response)).GetProperty("project_id").GetInt64());
        if (id != 4242) await HarborExpect.ErrorAsync(await Admin.GetAsync("/projects/4242"), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("-lead")]
    [InlineData("a..b")]
    [InlineData("has space")]
    [InlineData("")]
    public async Task BadNamesAre400InHarborsShape(string name)
    {
        var message = await HarborExpect.ErrorAsync(await Admin.PostAsync("/projects", new { project_name = name }), HttpStatusCode.BadRequest, "BAD_REQUEST");
        Assert.Contains("project_name", message);
    }

    [Fact]
    public async Task ADuplicateIs409AndMalformedJsonIs400()
    {
        await Admin.CreateProjectAsync("dupe");
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/projects", new { project_name = "dupe" }), HttpStatusCode.Conflict, "CONFLICT");
        var bad = await Admin.Client.SendAsync(HttpMethod.Post, "/api/v2.0/projects", new StringContent("{\"project_name\":", System.Text.Encoding.UTF8, "application/json"));
        await HarborExpect.ErrorAsync(bad, HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/projects", new { project_name = "meta", metadata = new { @public = "maybe" } }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ListsArePagedWithTotalAndLinkAndFilterOnlyOnKnownFields()
    {
        for (var i = 0; i < 5; i++) await Admin.CreateProjectAsync($"paged-{i}");
        var first = await Admin.GetAsync("/projects?q=name%3D~paged-&page=1&page_size=2&sort=name");
        var items = await Expect.JsonAsync(first);
        Assert.Equal(["paged-0", "paged-1"], items.EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Equal("5", first.Header("X-Total-Count"));
        Assert.Contains("rel=\"next\"", first.Header("Link"));
        Assert.DoesNotContain("rel=\"prev\"", first.Header("Link"));
        var last = await Admin.GetAsync("/projects?name=paged-&page=3&page_size=2&sort=name");
        Assert.Equal(["paged-4"], (await Expect.JsonAsync(last)).EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Contains("rel=\"prev\"", last.Header("Link"));

        var descending = await Admin.JsonAsync("/projects?name=paged-&sort=-name&page_size=1");
        Assert.Equal("paged-4", descending[0].GetProperty("name").GetString());

        await HarborExpect.ErrorAsync(await Admin.GetAsync("/projects?q=password%3Dx"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/projects?sort=owner_id"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/projects?page_size=101"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/projects?page=0"), HttpStatusCode.BadRequest, "BAD_REQUEST");
        Assert.Empty((await Admin.JsonAsync("/projects?q=name%3D~%25")).EnumerateArray()); // '%' is a character, not a wildcard
    }

    [Fact]
    public async Task AnonymousCallersSeeOnlyPublicProjects()
    {
        await Admin.CreateProjectAsync("anon-visible", isPublic: true);
        await Admin.CreateProjectAsync("anon-hidden");
        var names = (await registry.AnonymousApi.JsonAsync("/projects?page_size=100")).EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Contains("anon-visible", names);
        Assert.Contains("library", names);
        Assert.DoesNotContain("anon-hidden", names);
        await HarborExpect.ErrorAsync(await registry.AnonymousApi.GetAsync("/projects/anon-hidden"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await HarborExpect.ErrorAsync(await registry.AnonymousApi.PostAsync("/projects", new { project_name = "anon-made" }), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task AnonymousCallersMustSignInToAskWhetherAProjectExists()
    {
        await Admin.CreateProjectAsync("head-private");
        await Admin.CreateProjectAsync("head-public", isPublic: true);
        // Harbor's headProject needs a signed-in user: to anyone else a private, a public and a missing name answer alike.
        foreach (var name in new[] { "head-private", "head-public", "head-missing" })
        {
            var response = await registry.Anonymous.HeadAsync($"/api/v2.0/projects?project_name={name}");
            await Expect.StatusAsync(response, HttpStatusCode.Unauthorized);
            Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
            if ((await response.Content.ReadAsByteArrayAsync()).Length > 0) await HarborExpect.ErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }
        // Signed in, the answer is the real one.
        var (_, password) = await Admin.CreateUserAsync("head-user");
        var user = registry.WithBasic("head-user", password);
        await Expect.StatusAsync(await user.HeadAsync("/api/v2.0/projects?project_name=head-private"), HttpStatusCode.OK); // names are global: taken
        await Expect.StatusAsync(await user.HeadAsync("/api/v2.0/projects?project_name=head-missing"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TheLogsOfAProjectWithAnAllDigitNameAreItsOwn()
    {
        // A name that is another project's id, and one that is nobody's id: both are names on this path.
        var libraryId = (await Admin.JsonAsync("/projects/library")).GetProperty("project_id").GetInt64();
        var digits = libraryId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var name in new[] { digits, "987654" })
        {
            await Admin.CreateProjectAsync(name);
            var logs = await Admin.JsonAsync($"/projects/{name}/logs");
            Assert.Contains(logs.EnumerateArray(), e => e.GetProperty("resource").GetString() == name
                && e.GetProperty("resource_type").GetString() == "project" && e.GetProperty("operation").GetString() == "create");
            Assert.DoesNotContain(logs.EnumerateArray(), e => e.GetProperty("resource").GetString() == "library");
        }
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/projects/123456789/logs"), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task UpdateChangesVisibilityAndOnlyAdminsSetStorageLimits()
    {
        var (_, password) = await Admin.CreateUserAsync("proj-owner");
        var owner = registry.Api("proj-owner", password);
        var id = await owner.CreateProjectAsync("owned");
        await Expect.StatusAsync(await owner.PutAsync($"/projects/{id}", new { metadata = new { @public = "true" } }), HttpStatusCode.OK);
        Assert.Equal("true", (await owner.JsonAsync($"/projects/{id}")).GetProperty("metadata").GetProperty("public").GetString());
        await Expect.StatusAsync(await registry.Anonymous.GetAsync("/v2/owned/none/tags/list"), HttpStatusCode.NotFound); // public now: read allowed, no such repo

        await HarborExpect.ErrorAsync(await owner.PutAsync($"/projects/{id}", new { storage_limit = 1024 }), HttpStatusCode.Forbidden, "FORBIDDEN");
        await HarborExpect.ErrorAsync(await owner.PostAsync("/projects", new { project_name = "limited", storage_limit = 10 }), HttpStatusCode.Forbidden, "FORBIDDEN");
        await Expect.StatusAsync(await Admin.PutAsync($"/projects/{id}", new { storage_limit = 1024 }), HttpStatusCode.OK);
        var summary = await owner.JsonAsync($"/projects/{id}/summary");
        Assert.Equal(1024, summary.GetProperty("quota").GetProperty("hard").GetProperty("storage").GetInt64());
        Assert.Equal(1, summary.GetProperty("project_admin_count").GetInt32());
    }

    [Fact]
    public async Task DeletingAProjectWithRepositoriesIs412AndAnEmptyOneGoes()
    {
        var id = await Admin.CreateProjectAsync("to-delete");
        await registry.Admin.PushImageAsync("to-delete/app", "v1");
        await HarborExpect.ErrorAsync(await Admin.DeleteAsync($"/projects/{id}"), HttpStatusCode.PreconditionFailed, "PRECONDITION");
        Assert.False((await Admin.JsonAsync($"/projects/{id}/_deletable")).GetProperty("deletable").GetBoolean());
        Assert.Equal(1, (await Admin.JsonAsync($"/projects/{id}/summary")).GetProperty("repo_count").GetInt64());

        var empty = await Admin.CreateProjectAsync("empty-delete");
        await Expect.StatusAsync(await Admin.DeleteAsync($"/projects/{empty}"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await Admin.GetAsync($"/projects/{empty}"), HttpStatusCode.NotFound, "NOT_FOUND");
        // The distribution API forgets it at once too.
        var push = await registry.Admin.PostBlobAsync("empty-delete/app", [1, 2, 3], Oci.Digest([1, 2, 3]));
        Assert.Equal(HttpStatusCode.NotFound, push.StatusCode);
    }

    [Fact]
    public async Task UnknownPathsUnderTheApiAreHarborShaped404s()
    {
        await HarborExpect.ErrorAsync(await Admin.GetAsync("/no-such-thing"), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal("Pong", await (await registry.AnonymousApi.GetAsync("/ping")).Content.ReadAsStringAsync());
    }
}
