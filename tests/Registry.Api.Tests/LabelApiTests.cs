using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Metadata;

namespace Registry.Api.Tests;

/// <summary>Harbor's labels: global and project labels, who may manage them, attaching them to artifacts and filtering by them.</summary>
public sealed class LabelApiTests(PolicyFixture fixture) : IClassFixture<PolicyFixture>
{
    private RegistryFactory Registry => fixture.Registry;
    private HarborApi Admin => Registry.AdminApi;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private async Task<(string Name, long Id)> ProjectAsync()
    {
        var name = Unique("lbl");
        return (name, await Admin.CreateProjectAsync(name));
    }

    private async Task<HarborApi> MemberAsync(string project, int role)
    {
        var username = Unique("u");
        var (_, password) = await Admin.CreateUserAsync(username);
        await Admin.AddMemberAsync(project, username, role);
        return Registry.Api(username, password);
    }

    [Fact]
    public async Task GlobalLabelsAreManagedBySystemAdminsOnlyAndSeenByEveryoneSignedIn()
    {
        var name = Unique("prod-");
        var id = await Admin.CreateAsync("/labels", new { name, color = "#FF0000", description = "production", scope = "g" });
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/labels", new { name, scope = "g" }), HttpStatusCode.Conflict, "CONFLICT");
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/labels", new { name = Unique("x"), color = "red", scope = "g" }), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await Admin.PostAsync("/labels", new { name = Unique("x"), scope = "q" }), HttpStatusCode.BadRequest);

        var (project, _) = await ProjectAsync();
        var user = await MemberAsync(project, ProjectRoles.ProjectAdmin);
        await HarborExpect.ErrorAsync(await user.PostAsync("/labels", new { name = Unique("x"), scope = "g" }), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await user.PutAsync($"/labels/{id}", new { name = "renamed" }), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await user.DeleteAsync($"/labels/{id}"), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await Registry.AnonymousApi.GetAsync("/labels?scope=g"), HttpStatusCode.Unauthorized);

        var listed = await user.JsonAsync($"/labels?scope=g&name={name}");
        var label = Assert.Single(listed.EnumerateArray());
        Assert.Equal(id, label.GetProperty("id").GetInt64());
        Assert.Equal("#FF0000", label.GetProperty("color").GetString());
        Assert.Equal("g", label.GetProperty("scope").GetString());
        Assert.Equal(0, label.GetProperty("project_id").GetInt64());

        await Expect.StatusAsync(await Admin.PutAsync($"/labels/{id}", new { name = name + "-x", color = "#00FF00", description = "changed" }), HttpStatusCode.OK);
        var read = await user.JsonAsync($"/labels/{id}");
        Assert.Equal(name + "-x", read.GetProperty("name").GetString());
        Assert.Equal("#00FF00", read.GetProperty("color").GetString());
        Assert.Equal("changed", read.GetProperty("description").GetString());

        await Expect.StatusAsync(await Admin.DeleteAsync($"/labels/{id}"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await Admin.GetAsync($"/labels/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ProjectLabelsAreManagedByMaintainersAndUnseenOutsideTheProject()
    {
        var (project, projectId) = await ProjectAsync();
        var maintainer = await MemberAsync(project, ProjectRoles.Maintainer);
        var developer = await MemberAsync(project, ProjectRoles.Developer);
        var (other, _) = await ProjectAsync();
        var outsider = await MemberAsync(other, ProjectRoles.ProjectAdmin);

        var id = await maintainer.CreateAsync("/labels", new { name = "team-a", color = "#0000FF", scope = "p", project_id = projectId });
        await HarborExpect.ErrorAsync(await developer.PostAsync("/labels", new { name = "dev", scope = "p", project_id = projectId }), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await maintainer.PostAsync("/labels", new { name = "no-project", scope = "p" }), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await outsider.GetAsync($"/labels/{id}"), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await outsider.GetAsync($"/labels?scope=p&project_id={projectId}"), HttpStatusCode.NotFound);
        // The same name may exist in another project and globally.
        await Admin.CreateAsync("/labels", new { name = "team-a", scope = "p", project_id = (await Registry.Services.GetRequiredService<IIdentityStore>().GetProjectAsync(other))!.Id });

        var listed = await developer.JsonAsync($"/labels?scope=p&project_id={projectId}");
        var label = Assert.Single(listed.EnumerateArray());
        Assert.Equal("team-a", label.GetProperty("name").GetString());
        Assert.Equal(projectId, label.GetProperty("project_id").GetInt64());
        await HarborExpect.ErrorAsync(await developer.PutAsync($"/labels/{id}", new { name = "x" }), HttpStatusCode.Forbidden);
        await Expect.StatusAsync(await maintainer.PutAsync($"/labels/{id}", new { name = "team-b" }), HttpStatusCode.OK);
        await Expect.StatusAsync(await maintainer.DeleteAsync($"/labels/{id}"), HttpStatusCode.OK);
        Assert.Empty((await developer.JsonAsync($"/labels?scope=p&project_id={projectId}")).EnumerateArray());
    }

    [Fact]
    public async Task LabelsAreAttachedByDevelopersShownOnArtifactsUsedAsFiltersAndDetachedWhenDeleted()
    {
        var (project, projectId) = await ProjectAsync();
        var developer = await MemberAsync(project, ProjectRoles.Developer);
        var guest = await MemberAsync(project, ProjectRoles.Guest);
        var repo = $"{project}/app";
        var one = await Registry.Admin.PushImageAsync(repo, "v1");
        var two = await Registry.Admin.PushImageAsync(repo, "v2");
        var global = await Admin.CreateAsync("/labels", new { name = Unique("g-"), color = "#111111", scope = "g" });
        var local = await Admin.CreateAsync("/labels", new { name = "stable", color = "#222222", scope = "p", project_id = projectId });
        var (other, otherId) = await ProjectAsync();
        var foreign = await Admin.CreateAsync("/labels", new { name = "foreign", scope = "p", project_id = otherId });

        var artifacts = $"/projects/{project}/repositories/app/artifacts";
        await Expect.StatusAsync(await developer.PostAsync($"{artifacts}/v1/labels", new { id = global }), HttpStatusCode.OK);
        await Expect.StatusAsync(await developer.PostAsync($"{artifacts}/{one.Manifest.Digest}/labels", new { id = local }), HttpStatusCode.OK);
        await Expect.StatusAsync(await developer.PostAsync($"{artifacts}/v2/labels", new { id = global }), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await developer.PostAsync($"{artifacts}/v2/labels", new { id = global }), HttpStatusCode.Conflict);
        await HarborExpect.ErrorAsync(await developer.PostAsync($"{artifacts}/v2/labels", new { id = foreign }), HttpStatusCode.BadRequest);
        await HarborExpect.ErrorAsync(await developer.PostAsync($"{artifacts}/v2/labels", new { id = 987654321 }), HttpStatusCode.NotFound);
        await HarborExpect.ErrorAsync(await guest.PostAsync($"{artifacts}/v2/labels", new { id = local }), HttpStatusCode.Forbidden);
        await HarborExpect.ErrorAsync(await developer.PostAsync($"{artifacts}/v9/labels", new { id = local }), HttpStatusCode.NotFound);

        var v1 = await Admin.JsonAsync($"{artifacts}/v1?with_label=true");
        Assert.Equal(new[] { "stable", (await Admin.JsonAsync($"/labels/{global}")).GetProperty("name").GetString()! }.Order(StringComparer.Ordinal).ToArray(),
            v1.GetProperty("labels").EnumerateArray().Select(l => l.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(JsonValueKind.Null, (await Admin.JsonAsync($"{artifacts}/v1")).TryGetProperty("labels", out var none) ? none.ValueKind : JsonValueKind.Null);

        async Task<string[]> Filtered(string q) =>
            [.. (await Admin.JsonAsync($"{artifacts}?q={Uri.EscapeDataString(q)}")).EnumerateArray().Select(a => a.GetProperty("digest").GetString()!).Order()];
        Assert.Equal([one.Manifest.Digest.ToString()], await Filtered($"labels={local}"));
        Assert.Equal(new[] { one.Manifest.Digest.ToString(), two.Manifest.Digest.ToString() }.Order().ToArray(), await Filtered($"labels={global}"));
        Assert.Equal([one.Manifest.Digest.ToString()], await Filtered($"labels=({global} {local})"));
        Assert.Equal(2, (await Filtered($"labels={{{global} {local}}}")).Length);
        await HarborExpect.ErrorAsync(await Admin.GetAsync($"{artifacts}?q={Uri.EscapeDataString("labels=abc")}"), HttpStatusCode.BadRequest);

        await HarborExpect.ErrorAsync(await guest.DeleteAsync($"{artifacts}/v1/labels/{local}"), HttpStatusCode.Forbidden);
        await Expect.StatusAsync(await developer.DeleteAsync($"{artifacts}/v1/labels/{local}"), HttpStatusCode.OK);
        await HarborExpect.ErrorAsync(await developer.DeleteAsync($"{artifacts}/v1/labels/{local}"), HttpStatusCode.NotFound);
        Assert.Empty(await Filtered($"labels={local}"));

        await Expect.StatusAsync(await Admin.DeleteAsync($"/labels/{global}"), HttpStatusCode.OK);
        Assert.Empty((await Admin.JsonAsync($"{artifacts}/v2?with_label=true")).GetProperty("labels").EnumerateArray());
        _ = other;
    }
}
