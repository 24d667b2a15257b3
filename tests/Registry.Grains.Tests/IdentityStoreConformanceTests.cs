using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Abstractions;
using Registry.Grains.Manifests;
using Registry.Grains.Metadata;

namespace Registry.Grains.Tests;

/// <summary>A clock the tests move by hand, so that creation and push times are distinct and known.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public DateTimeOffset Advance(TimeSpan? by = null) => _now += by ?? TimeSpan.FromSeconds(1);
}

/// <summary>
/// What <see cref="IIdentityStore"/> and <see cref="IArtifactQueries"/> must do on every metadata
/// database, through the registration the hosts use. Each test gets a new, migrated database.
/// </summary>
public abstract class IdentityStoreConformanceTests : IAsyncLifetime
{
    /// <summary>An hour from now: later than the library project, created by the migration at the real time.</summary>
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds());

    private ServiceProvider _services = null!;
    private IIdentityStore _identity = null!;
    private IArtifactQueries _artifacts = null!;
    private IRepositoryStore _repositories = null!;
    private IAccountStore _accounts = null!;
    private readonly ManualClock _clock = new(T0);

    /// <summary>Registers the stores under test over a new, empty database (a different one on every call).</summary>
    protected abstract Task ConfigureAsync(IServiceCollection services);

    /// <summary>
    /// Leaves the database registered in <paramref name="services"/> as a registry of an older
    /// version would have: only the first <paramref name="migrations"/> migrations applied and
    /// recorded, then <paramref name="seedSql"/> run.
    /// </summary>
    protected abstract Task ApplyOldMigrationsAsync(IServiceProvider services, int migrations, string seedSql);

    public async Task InitializeAsync()
    {
        _services = await BuildAsync();
        await _services.GetRequiredService<IMetadataDatabase>().MigrateAsync();
        _identity = _services.GetRequiredService<IIdentityStore>();
        _artifacts = _services.GetRequiredService<IArtifactQueries>();
        _repositories = _services.GetRequiredService<IRepositoryStore>();
        _accounts = _services.GetRequiredService<IAccountStore>();
        // As the bootstrapper does on the first start: the admin is the first user.
        Assert.True(await _accounts.TryCreateUserAsync("admin", "admin-hash", sysAdmin: true));
    }

    public virtual async Task DisposeAsync() => await _services.DisposeAsync();

    private async Task<ServiceProvider> BuildAsync()
    {
        var services = new ServiceCollection();
        await ConfigureAsync(services);
        services.AddSingleton<TimeProvider>(_clock);
        return services.BuildServiceProvider();
    }

    private async Task<UserRecord> UserAsync(string name, string email = "")
    {
        _clock.Advance();
        return (await _identity.CreateUserAsync(new NewUser(name, "hash-" + name, false, email, name.ToUpperInvariant(), "comment " + name)))!;
    }

    private async Task<ProjectRecord> ProjectAsync(string name, bool isPublic = false, long owner = 1, long limit = -1)
    {
        _clock.Advance();
        return (await _identity.CreateProjectAsync(name, isPublic, owner, limit))!;
    }

    private static ListQuery Query(params ListFilter[] filters) => new(0, 100, filters);

    private static ListQuery Sorted(string sort, bool descending = false, params ListFilter[] filters) => new(0, 100, filters, sort, descending);

    // ---- migrations ----

    [Fact]
    public async Task AFreshDatabaseHasLibraryAsProjectOneOwnedByTheFirstUser()
    {
        var library = await _identity.GetProjectAsync("library");
        Assert.NotNull(library);
        Assert.Equal((1L, true, 1L, "admin", -1L), (library.Id, library.Public, library.OwnerId, library.OwnerName, library.StorageLimit));
        Assert.Equal(library, await _identity.GetProjectByIdAsync(1));
        Assert.Same(_identity, _services.GetRequiredService<IIdentityStore>());
        Assert.Same(_artifacts, _services.GetRequiredService<IArtifactQueries>());

        var admin = (await _identity.GetUserAsync("admin"))!;
        Assert.Equal((1L, true, "admin-hash", "db"), (admin.Id, admin.SysAdmin, admin.PasswordHash, admin.Source));
        Assert.Equal(ProjectRoles.ProjectAdmin, await _identity.GetRoleAsync(1, admin.Id));
        Assert.Equal(["admin"], (await _identity.ListMembersAsync(1, ListQuery.All)).Items.Select(m => m.Username));

        // The next project continues after library.
        Assert.Equal(2, (await ProjectAsync("next")).Id);
    }

    [Fact]
    public async Task MigratingADatabaseOfTheOlderSchemaNumbersProjectsAndGivesThemToTheAdmin()
    {
        await using var old = await BuildAsync();
        await ApplyOldMigrationsAsync(old, 2, """
            INSERT INTO users (username, password_hash, sysadmin, created_at) VALUES ('admin', 'admin-hash', true, 1000);
            INSERT INTO users (username, password_hash, sysadmin, created_at) VALUES ('bob', 'bob-hash', false, 1500);
            INSERT INTO projects (name, public, created_at) VALUES ('old', false, 2000);
            INSERT INTO repositories (name, project, created_at, updated_at) VALUES ('old/app', 'old', 3000, 4000);
            """);
        await old.GetRequiredService<IMetadataDatabase>().MigrateAsync();
        await old.GetRequiredService<IMetadataDatabase>().MigrateAsync();
        var identity = old.GetRequiredService<IIdentityStore>();

        var library = (await identity.GetProjectAsync("library"))!;
        Assert.Equal((1L, true, 1L, "admin", -1L), (library.Id, library.Public, library.OwnerId, library.OwnerName, library.StorageLimit));
        Assert.Equal(library.CreatedAt, library.UpdatedAt);
        var project = (await identity.GetProjectAsync("old"))!;
        Assert.Equal((2L, false, 1L, "admin"), (project.Id, project.Public, project.OwnerId, project.OwnerName));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(2000), project.UpdatedAt);
        Assert.Equal(new Dictionary<long, int> { [1] = 1, [2] = 1 }, await identity.GetRolesAsync(1));

        var bob = (await identity.GetUserAsync("bob"))!;
        Assert.Equal(("bob-hash", false, "", "", "", "db"), (bob.PasswordHash, bob.SysAdmin, bob.Email, bob.Realname, bob.Comment, bob.Source));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1500), bob.UpdatedAt);
        Assert.Null(await identity.CreateUserAsync(new NewUser("BOB", "h", false, "", "", "")));

        var repository = (await old.GetRequiredService<IArtifactQueries>().GetRepositoryAsync("old/app"))!;
        Assert.Equal(("", 0L, 0L), (repository.Description, repository.PullCount, repository.ArtifactCount));
        Assert.Equal(DeleteProjectResult.NotEmpty, await identity.DeleteProjectAsync(2));

        // New projects take ids after the ones numbered by the migration, never one of theirs.
        var created = (await identity.CreateProjectAsync("new", true, 1, -1))!;
        Assert.Equal(3, created.Id);
    }

    // ---- projects ----

    [Fact]
    public async Task AProjectIsCreatedWithItsOwnerAsProjectAdminAndANameOnlyOnce()
    {
        var ann = await UserAsync("ann");
        var team = await ProjectAsync("team", isPublic: false, owner: ann.Id, limit: 1024);
        Assert.True(team.Id > 1);
        Assert.Equal(("team", false, ann.Id, "ann", 1024L), (team.Name, team.Public, team.OwnerId, team.OwnerName, team.StorageLimit));
        Assert.Equal(_clock.GetUtcNow(), team.CreatedAt);
        Assert.Equal(team, await _identity.GetProjectAsync("team"));
        Assert.Equal(team, await _identity.GetProjectByIdAsync(team.Id));
        Assert.Equal(ProjectRoles.ProjectAdmin, await _identity.GetRoleAsync(team.Id, ann.Id));
        Assert.Null(await _identity.GetProjectByIdAsync(9999));

        Assert.Null(await _identity.CreateProjectAsync("team", true, ann.Id, -1));
        var other = await ProjectAsync("other");
        Assert.True(other.Id > team.Id);
    }

    [Fact]
    public async Task CallersRacingForANameGetItOnceAndDistinctNamesGetDistinctIds()
    {
        var projects = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => _identity.CreateProjectAsync("race", i % 2 == 0, 1, -1))));
        Assert.Single(projects, p => p is not null);
        var ids = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () => (await _identity.CreateProjectAsync($"p{i}", false, 1, -1))!.Id)));
        Assert.Equal(12, ids.Distinct().Count());
        Assert.DoesNotContain(projects.Single(p => p is not null)!.Id, ids);

        var users = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() =>
            _identity.CreateUserAsync(new NewUser(i % 2 == 0 ? "racer" : "RACER", "h", false, "", "", "")))));
        Assert.Single(users, u => u is not null);
        Assert.Equal(2, (await _identity.ListUsersAsync(ListQuery.All)).Total);
    }

    [Fact]
    public async Task UpdatingAProjectChangesOnlyWhatIsGiven()
    {
        var team = await ProjectAsync("team", isPublic: false, limit: 10);
        _clock.Advance();
        Assert.True(await _identity.UpdateProjectAsync(team.Id, true, null));
        var updated = (await _identity.GetProjectByIdAsync(team.Id))!;
        Assert.Equal((true, 10L), (updated.Public, updated.StorageLimit));
        Assert.Equal(_clock.GetUtcNow(), updated.UpdatedAt);
        Assert.Equal(team.CreatedAt, updated.CreatedAt);

        Assert.True(await _identity.UpdateProjectAsync(team.Id, null, -1));
        updated = (await _identity.GetProjectByIdAsync(team.Id))!;
        Assert.Equal((true, -1L), (updated.Public, updated.StorageLimit));
        Assert.True(await _identity.UpdateProjectAsync(team.Id, null, null));
        Assert.False(await _identity.UpdateProjectAsync(9999, true, null));
        Assert.False(await _identity.UpdateProjectAsync(9999, null, null));
    }

    [Fact]
    public async Task DeletingAProjectWithRepositoriesIsRefusedAndOtherwiseTakesMembersAndRobotsAlong()
    {
        var ann = await UserAsync("ann");
        var team = await ProjectAsync("team", owner: ann.Id);
        var keep = await ProjectAsync("keep", owner: ann.Id);
        await _identity.CreateRobotAsync(Robot("robot$team+ci", team.Id));
        await _identity.CreateRobotAsync(Robot("robot$keep+ci", keep.Id));
        await _repositories.SaveManifestAsync(Manifest("team/app", "{}"), "v1");

        Assert.Equal(DeleteProjectResult.NotEmpty, await _identity.DeleteProjectAsync(team.Id));
        Assert.NotNull(await _identity.GetProjectByIdAsync(team.Id));

        await _repositories.DeleteManifestAsync("team/app", Manifest("team/app", "{}").Digest);
        Assert.Equal(DeleteProjectResult.NotEmpty, await _identity.DeleteProjectAsync(team.Id)); // the repository row is still there

        var empty = await ProjectAsync("empty", owner: ann.Id);
        var bob = await UserAsync("bob");
        await _identity.AddMemberAsync(empty.Id, bob.Id, ProjectRoles.Developer);
        await _identity.CreateRobotAsync(Robot("robot$empty+ci", empty.Id));
        Assert.Equal(DeleteProjectResult.Deleted, await _identity.DeleteProjectAsync(empty.Id));
        Assert.Equal(DeleteProjectResult.NotFound, await _identity.DeleteProjectAsync(empty.Id));
        Assert.Null(await _identity.GetProjectAsync("empty"));
        Assert.Null(await _identity.GetRobotByNameAsync("robot$empty+ci"));
        Assert.NotNull(await _identity.GetRobotByNameAsync("robot$keep+ci"));
        Assert.Equal(new Dictionary<long, int> { [team.Id] = 1, [keep.Id] = 1 }, await _identity.GetRolesAsync(ann.Id));
        Assert.Empty(await _identity.GetRolesAsync(bob.Id));
        Assert.Equal(0, (await _identity.ListMembersAsync(empty.Id, ListQuery.All)).Total);

        // The name is free again, under a new id.
        Assert.True((await ProjectAsync("empty")).Id > empty.Id);
    }

    [Fact]
    public async Task ProjectsAreListedFilteredSortedAndPaged()
    {
        var ann = await UserAsync("ann");
        await ProjectAsync("alpha", isPublic: true, owner: ann.Id);
        await ProjectAsync("beta", owner: ann.Id);
        await ProjectAsync("a_b");
        await ProjectAsync("axb");
        await ProjectAsync("a%c");
        await ProjectAsync("Gamma", isPublic: true);

        var all = await _identity.ListProjectsAsync(ListQuery.All, null);
        Assert.Equal(["library", "alpha", "beta", "a_b", "axb", "a%c", "Gamma"], all.Items.Select(p => p.Name));
        Assert.Equal(7, all.Total);

        var page = await _identity.ListProjectsAsync(new ListQuery(2, 3, []), null);
        Assert.Equal(["beta", "a_b", "axb"], page.Items.Select(p => p.Name));
        Assert.Equal(7, page.Total);
        var beyond = await _identity.ListProjectsAsync(new ListQuery(10, 3, []), null);
        Assert.Empty(beyond.Items);
        Assert.Equal(7, beyond.Total);

        Assert.Equal(["a_b"], Names(await _identity.ListProjectsAsync(Query(new ListFilter("name", FilterKind.Fuzzy, "_")), null)));
        Assert.Equal(["a%c"], Names(await _identity.ListProjectsAsync(Query(new ListFilter("name", FilterKind.Fuzzy, "%")), null)));
        Assert.Equal(["Gamma"], Names(await _identity.ListProjectsAsync(Query(new ListFilter("name", FilterKind.Fuzzy, "AMM")), null)));
        Assert.Equal(["alpha"], Names(await _identity.ListProjectsAsync(Query(new ListFilter("name", FilterKind.Fuzzy, "LPH")), null)));
        Assert.Equal(["Gamma"], Names(await _identity.ListProjectsAsync(Query(new ListFilter("name", FilterKind.Fuzzy, "gam")), null)));
        Assert.Equal(["beta"], Names(await _identity.ListProjectsAsync(Query(new ListFilter("name", FilterKind.Exact, "beta")), null)));
        Assert.Empty(Names(await _identity.ListProjectsAsync(Query(new ListFilter("name", FilterKind.Exact, "BETA")), null)));
        Assert.Equal(["beta", "Gamma"], Names(await _identity.ListProjectsAsync(Query(new ListFilter("name", FilterKind.In, Values: ["Gamma", "beta", "nope"])), null)));
        Assert.Equal(["library", "alpha", "Gamma"], Names(await _identity.ListProjectsAsync(Query(new ListFilter("public", FilterKind.Exact, "true")), null)));
        Assert.Equal(["alpha", "beta"], Names(await _identity.ListProjectsAsync(Query(new ListFilter("owner", FilterKind.Exact, "ann")), null)));
        var combined = await _identity.ListProjectsAsync(Query(new ListFilter("owner", FilterKind.Exact, "ann"), new ListFilter("public", FilterKind.Exact, "false")), null);
        Assert.Equal(["beta"], Names(combined));
        Assert.Equal(1, combined.Total);

        Assert.Equal(["Gamma", "a%c", "a_b", "alpha", "axb", "beta", "library"], Names(await _identity.ListProjectsAsync(Sorted("name"), null)));
        Assert.Equal(["library", "beta", "axb"], Names(await _identity.ListProjectsAsync(new ListQuery(0, 3, [], "name", true), null)));
        Assert.Equal(["Gamma", "a%c"], Names(await _identity.ListProjectsAsync(new ListQuery(0, 2, [], "creation_time", true), null)));
        _clock.Advance();
        await _identity.UpdateProjectAsync((await _identity.GetProjectAsync("beta"))!.Id, null, 5);
        Assert.Equal("beta", Names(await _identity.ListProjectsAsync(Sorted("update_time", true), null))[0]);
    }

    [Fact]
    public async Task AUserSeesPublicProjectsAndTheOnesTheyAreAMemberOf()
    {
        var ann = await UserAsync("ann");
        var bob = await UserAsync("bob");
        await ProjectAsync("anns", owner: ann.Id);
        var shared = await ProjectAsync("shared", owner: ann.Id);
        await ProjectAsync("open", isPublic: true, owner: ann.Id);
        await _identity.AddMemberAsync(shared.Id, bob.Id, ProjectRoles.Guest);

        Assert.Equal(["library", "anns", "shared", "open"], Names(await _identity.ListProjectsAsync(ListQuery.All, ann.Id)));
        var bobs = await _identity.ListProjectsAsync(ListQuery.All, bob.Id);
        Assert.Equal(["library", "shared", "open"], Names(bobs));
        Assert.Equal(3, bobs.Total);
        Assert.Equal(["library", "open"], Names(await _identity.ListProjectsAsync(ListQuery.All, 9999)));
        Assert.Equal(["shared"], Names(await _identity.ListProjectsAsync(Query(new ListFilter("public", FilterKind.Exact, "false")), bob.Id)));
        Assert.Equal(4, (await _identity.ListProjectsAsync(ListQuery.All, null)).Total);
    }

    private static List<string> Names(Page<ProjectRecord> page) => page.Items.Select(p => p.Name).ToList();

    [Fact]
    public async Task FieldsAListDoesNotKnowAreArgumentExceptions()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListProjectsAsync(Query(new ListFilter("nope", FilterKind.Exact, "x")), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListProjectsAsync(Query(new ListFilter("name", FilterKind.Range, From: "a")), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListProjectsAsync(Query(new ListFilter("public", FilterKind.Exact, "yes")), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListProjectsAsync(Query(new ListFilter("public", FilterKind.Fuzzy, "true")), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListProjectsAsync(Sorted("name; DROP TABLE projects"), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListProjectsAsync(Sorted("owner"), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListProjectsAsync(new ListQuery(-1, 10, []), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListUsersAsync(Query(new ListFilter("password_hash", FilterKind.Exact, "x"))));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListUsersAsync(Sorted("id")));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListMembersAsync(1, Query(new ListFilter("role_id", FilterKind.Exact, "1"))));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListRobotsAsync(Query(new ListFilter("secret_hash", FilterKind.Exact, "x"))));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListRobotsAsync(Query(new ListFilter("project_id", FilterKind.Exact, "one"))));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListRobotsAsync(Sorted("level")));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListAuditAsync(Query(new ListFilter("result", FilterKind.Exact, "success")), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListAuditAsync(Query(new ListFilter("op_time", FilterKind.Range, From: "yesterday")), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _identity.ListAuditAsync(Sorted("username"), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _artifacts.ListRepositoriesAsync(Query(new ListFilter("project", FilterKind.Exact, "library")), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _artifacts.ListRepositoriesAsync(Sorted("artifact_count"), null));
        await Assert.ThrowsAsync<ArgumentException>(() => _artifacts.ListArtifactsAsync("library/a", Query(new ListFilter("size", FilterKind.Exact, "1"))));
        await Assert.ThrowsAsync<ArgumentException>(() => _artifacts.ListArtifactsAsync("library/a", Sorted("size")));
        await Assert.ThrowsAsync<ArgumentException>(() => _artifacts.ListArtifactsAsync("library/a", Query(new ListFilter("tags", FilterKind.Range, From: "a"))));
    }

    // ---- members ----

    [Fact]
    public async Task MembersAreAddedOnceListedChangedAndRemoved()
    {
        var ann = await UserAsync("ann");
        var bob = await UserAsync("bob");
        var carol = await UserAsync("carol");
        var team = await ProjectAsync("team", owner: ann.Id);

        _clock.Advance();
        var bobs = (await _identity.AddMemberAsync(team.Id, bob.Id, ProjectRoles.Developer))!;
        Assert.Equal((team.Id, bob.Id, "bob", ProjectRoles.Developer), (bobs.ProjectId, bobs.UserId, bobs.Username, bobs.RoleId));
        Assert.Equal(_clock.GetUtcNow(), bobs.CreatedAt);
        Assert.Null(await _identity.AddMemberAsync(team.Id, bob.Id, ProjectRoles.Guest));
        Assert.Null(await _identity.AddMemberAsync(team.Id, 9999, ProjectRoles.Guest));
        Assert.Null(await _identity.AddMemberAsync(9999, bob.Id, ProjectRoles.Guest));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _identity.AddMemberAsync(team.Id, carol.Id, 9));
        var carols = (await _identity.AddMemberAsync(team.Id, carol.Id, ProjectRoles.Guest))!;
        Assert.Equal(bobs, await _identity.GetMemberAsync(team.Id, bobs.Id));
        Assert.Null(await _identity.GetMemberAsync(1, bobs.Id));

        var members = await _identity.ListMembersAsync(team.Id, ListQuery.All);
        Assert.Equal(["ann", "bob", "carol"], members.Items.Select(m => m.Username).ToList());
        Assert.Equal(3, members.Total);
        Assert.Equal(["bob"], (await _identity.ListMembersAsync(team.Id, Query(new ListFilter("entityname", FilterKind.Fuzzy, "OB")))).Items.Select(m => m.Username));
        Assert.Equal(["ann", "bob", "carol"], (await _identity.ListMembersAsync(team.Id, Sorted("role_id"))).Items.Select(m => m.Username));
        Assert.Equal(["carol", "bob"], (await _identity.ListMembersAsync(team.Id, new ListQuery(0, 2, [], "entityname", true))).Items.Select(m => m.Username));
        Assert.Equal(new Dictionary<int, int> { [1] = 1, [2] = 1, [3] = 1 }, await _identity.CountMembersByRoleAsync(team.Id));

        Assert.True(await _identity.UpdateMemberRoleAsync(team.Id, carols.Id, ProjectRoles.Maintainer));
        Assert.False(await _identity.UpdateMemberRoleAsync(1, carols.Id, ProjectRoles.Maintainer));
        Assert.Equal(ProjectRoles.Maintainer, await _identity.GetRoleAsync(team.Id, carol.Id));
        Assert.Equal(new Dictionary<long, int> { [team.Id] = ProjectRoles.Maintainer }, await _identity.GetRolesAsync(carol.Id));

        Assert.False(await _identity.RemoveMemberAsync(1, bobs.Id));
        Assert.True(await _identity.RemoveMemberAsync(team.Id, bobs.Id));
        Assert.False(await _identity.RemoveMemberAsync(team.Id, bobs.Id));
        Assert.Null(await _identity.GetRoleAsync(team.Id, bob.Id));
        Assert.Equal(new Dictionary<int, int> { [1] = 1, [4] = 1 }, await _identity.CountMembersByRoleAsync(team.Id));
    }

    // ---- users ----

    [Fact]
    public async Task UsernamesAndNonEmptyEmailsAreUniqueRegardlessOfCase()
    {
        var ann = await UserAsync("ann", "Ann@Example.com");
        Assert.Equal(("ann", "hash-ann", false, "Ann@Example.com", "ANN", "comment ann", "db"),
            (ann.Username, ann.PasswordHash, ann.SysAdmin, ann.Email, ann.Realname, ann.Comment, ann.Source));
        Assert.Equal(_clock.GetUtcNow(), ann.CreatedAt);
        Assert.Equal(ann, await _identity.GetUserAsync("ann"));
        Assert.Equal(ann, await _identity.GetUserByIdAsync(ann.Id));
        Assert.Null(await _identity.GetUserAsync("ANN"));

        Assert.Null(await _identity.CreateUserAsync(new NewUser("ANN", "h", false, "", "", "")));
        Assert.Null(await _identity.CreateUserAsync(new NewUser("ann2", "h", false, "ann@example.COM", "", "")));
        Assert.False(await _accounts.TryCreateUserAsync("Ann", "h", sysAdmin: false));
        var noMail1 = await _identity.CreateUserAsync(new NewUser("x1", "h", false, "", "", ""));
        var noMail2 = await _identity.CreateUserAsync(new NewUser("x2", "h", false, "", "", "", "ldap"));
        Assert.NotNull(noMail1);
        Assert.Equal("ldap", noMail2!.Source);

        Assert.False(await _identity.UpdateUserProfileAsync(noMail1.Id, "ANN@example.com", "X", "c"));
        Assert.True(await _identity.UpdateUserProfileAsync(ann.Id, "ann@example.com", "Ann A", "new"));
        Assert.True(await _identity.UpdateUserProfileAsync(noMail1.Id, "", "X One", "c"));
        Assert.False(await _identity.UpdateUserProfileAsync(9999, "z@example.com", "Z", "c"));
        var updated = (await _identity.GetUserByIdAsync(ann.Id))!;
        Assert.Equal(("ann@example.com", "Ann A", "new"), (updated.Email, updated.Realname, updated.Comment));
        Assert.Equal("X One", (await _identity.GetUserByIdAsync(noMail1.Id))!.Realname);

        // After a refused update the store still works (the SQLite writer survives a constraint error).
        Assert.NotNull(await UserAsync("after"));
    }

    [Fact]
    public async Task PasswordsAdminFlagsAndDeletionsTouchOnlyTheirUser()
    {
        var ann = await UserAsync("ann");
        var bob = await UserAsync("bob");
        var team = await ProjectAsync("team", owner: ann.Id);
        await _identity.AddMemberAsync(team.Id, bob.Id, ProjectRoles.Developer);

        _clock.Advance();
        Assert.True(await _identity.SetPasswordAsync(ann.Id, "new-hash"));
        Assert.True(await _identity.SetSysAdminAsync(ann.Id, true));
        Assert.False(await _identity.SetPasswordAsync(9999, "x"));
        Assert.False(await _identity.SetSysAdminAsync(9999, true));
        var updated = (await _identity.GetUserByIdAsync(ann.Id))!;
        Assert.Equal(("new-hash", true), (updated.PasswordHash, updated.SysAdmin));
        Assert.Equal(_clock.GetUtcNow(), updated.UpdatedAt);
        Assert.Equal(("hash-bob", false), ((await _identity.GetUserByIdAsync(bob.Id))!.PasswordHash, (await _identity.GetUserByIdAsync(bob.Id))!.SysAdmin));
        Assert.True(await _identity.SetSysAdminAsync(ann.Id, false));
        Assert.False((await _identity.GetUserByIdAsync(ann.Id))!.SysAdmin);

        Assert.True(await _identity.DeleteUserAsync(ann.Id));
        Assert.False(await _identity.DeleteUserAsync(ann.Id));
        Assert.Null(await _identity.GetUserByIdAsync(ann.Id));
        Assert.Empty(await _identity.GetRolesAsync(ann.Id));
        Assert.Equal(["bob"], (await _identity.ListMembersAsync(team.Id, ListQuery.All)).Items.Select(m => m.Username));
        var orphan = (await _identity.GetProjectByIdAsync(team.Id))!;
        Assert.Equal((ann.Id, ""), (orphan.OwnerId, orphan.OwnerName));
        Assert.Equal(ProjectRoles.Developer, await _identity.GetRoleAsync(team.Id, bob.Id));

        // The name is free again.
        Assert.NotNull(await _identity.CreateUserAsync(new NewUser("Ann", "h", false, "", "", "")));
    }

    [Fact]
    public async Task UsersAreListedFilteredSortedAndPaged()
    {
        var zed = await UserAsync("zed", "z@example.com");
        var amy = await UserAsync("amy", "amy_x@example.com");
        var bob = await UserAsync("bob", "bobx@example.com");
        await UserAsync("b_b");

        var all = await _identity.ListUsersAsync(ListQuery.All);
        Assert.Equal(["admin", "zed", "amy", "bob", "b_b"], all.Items.Select(u => u.Username));
        Assert.Equal(5, all.Total);
        var page = await _identity.ListUsersAsync(new ListQuery(1, 2, [], "username"));
        Assert.Equal(["amy", "b_b"], page.Items.Select(u => u.Username).ToList());
        Assert.Equal(5, page.Total);
        Assert.Equal(["amy"], (await _identity.ListUsersAsync(Query(new ListFilter("email", FilterKind.Fuzzy, "_X")))).Items.Select(u => u.Username));
        Assert.Equal(["b_b"], (await _identity.ListUsersAsync(Query(new ListFilter("username", FilterKind.Fuzzy, "_")))).Items.Select(u => u.Username));
        Assert.Equal(["bob"], (await _identity.ListUsersAsync(Query(new ListFilter("username", FilterKind.Exact, "bob")))).Items.Select(u => u.Username));
        Assert.Equal(["zed"], (await _identity.ListUsersAsync(Query(new ListFilter("email", FilterKind.Exact, "z@example.com")))).Items.Select(u => u.Username));
        Assert.Equal(["admin", "b_b", "amy", "bob", "zed"], (await _identity.ListUsersAsync(Sorted("email"))).Items.Select(u => u.Username));
        Assert.Equal(["b_b", "bob", "amy", "zed", "admin"], (await _identity.ListUsersAsync(Sorted("creation_time", true))).Items.Select(u => u.Username));

        _clock.Advance();
        await _identity.SetPasswordAsync(amy.Id, "x");
        Assert.Equal("amy", (await _identity.ListUsersAsync(Sorted("update_time", true))).Items[0].Username);
        Assert.Equal([1, zed.Id, amy.Id, bob.Id], (await _identity.ListUsersAsync(new ListQuery(0, 4, []))).Items.Select(u => u.Id));
    }

    // ---- robots ----

    private RobotRecord Robot(string name, long? projectId, params RobotPermission[] permissions) => new(
        0, name, "robot " + name, projectId is null ? "system" : "project", projectId, "secret-" + name, 30,
        _clock.GetUtcNow().AddDays(30).ToUnixTimeSeconds(), false,
        permissions.Length > 0 ? permissions : [new RobotPermission("project", "library", [new RobotAccess("repository", "pull")])],
        "admin", default, default);

    private static string Json(IReadOnlyList<RobotPermission> permissions) => JsonSerializer.Serialize(permissions);

    [Fact]
    public async Task RobotsRoundTripWithTheirPermissionsAndAreUniqueByName()
    {
        var team = await ProjectAsync("team");
        RobotPermission[] permissions =
        [
            new("project", "team", [new RobotAccess("repository", "push"), new RobotAccess("repository", "pull"), new RobotAccess("artifact", "delete", "deny")]),
            new("project", "library", [new RobotAccess("repository", "pull")]),
        ];
        _clock.Advance();
        var created = (await _identity.CreateRobotAsync(Robot("robot$team+ci", team.Id, permissions) with { Id = 12345 }))!;
        Assert.NotEqual(12345, created.Id);
        Assert.Equal(_clock.GetUtcNow(), created.CreatedAt);
        var loaded = (await _identity.GetRobotAsync(created.Id))!;
        Assert.Equal(Json(permissions), Json(loaded.Permissions));
        Assert.Equal(Json(created.Permissions), Json(loaded.Permissions));
        Assert.Equal(
            (created.Id, "robot$team+ci", "robot robot$team+ci", "project", (long?)team.Id, "secret-robot$team+ci", 30, created.ExpiresAt, false, "admin", created.CreatedAt, created.UpdatedAt),
            (loaded.Id, loaded.Name, loaded.Description, loaded.Level, loaded.ProjectId, loaded.SecretHash, loaded.Duration, loaded.ExpiresAt, loaded.Disabled, loaded.Creator, loaded.CreatedAt, loaded.UpdatedAt));
        Assert.Equal(loaded.Id, (await _identity.GetRobotByNameAsync("robot$team+ci"))!.Id);
        Assert.Null(await _identity.GetRobotByNameAsync("robot$team+CI"));
        Assert.Null(await _identity.CreateRobotAsync(Robot("robot$team+ci", team.Id)));

        Assert.Equal("local", loaded.CreatorType);

        var system = (await _identity.CreateRobotAsync(Robot("robot$sys", null) with { Duration = -1, ExpiresAt = -1, Creator = "robot$team+ci", CreatorType = "robot" }))!;
        var loadedSystem = (await _identity.GetRobotAsync(system.Id))!;
        Assert.Equal((null, "system", -1, -1L), (loadedSystem.ProjectId, loadedSystem.Level, loadedSystem.Duration, loadedSystem.ExpiresAt));
        Assert.Equal(("robot$team+ci", "robot"), (loadedSystem.Creator, loadedSystem.CreatorType));

        _clock.Advance();
        RobotPermission[] fewer = [new("project", "*", [new RobotAccess("repository", "list")])];
        Assert.True(await _identity.UpdateRobotAsync(loaded with { Description = "changed", Duration = 7, ExpiresAt = 77, Disabled = true, Permissions = fewer, Name = "ignored", SecretHash = "ignored" }));
        var updated = (await _identity.GetRobotAsync(created.Id))!;
        Assert.Equal(("changed", 7, 77L, true, "robot$team+ci", "secret-robot$team+ci"), (updated.Description, updated.Duration, updated.ExpiresAt, updated.Disabled, updated.Name, updated.SecretHash));
        Assert.Equal(Json(fewer), Json(updated.Permissions));
        Assert.Equal(_clock.GetUtcNow(), updated.UpdatedAt);
        Assert.Equal(created.CreatedAt, updated.CreatedAt);
        Assert.False(await _identity.UpdateRobotAsync(loaded with { Id = 9999 }));

        Assert.True(await _identity.SetRobotSecretAsync(created.Id, "rotated"));
        Assert.False(await _identity.SetRobotSecretAsync(9999, "rotated"));
        Assert.Equal("rotated", (await _identity.GetRobotAsync(created.Id))!.SecretHash);

        Assert.True(await _identity.DeleteRobotAsync(created.Id));
        Assert.False(await _identity.DeleteRobotAsync(created.Id));
        Assert.Null(await _identity.GetRobotAsync(created.Id));
        Assert.NotNull(await _identity.GetRobotAsync(system.Id));
    }

    [Fact]
    public async Task RobotsAreListedByProjectLevelAndName()
    {
        var team = await ProjectAsync("team");
        var other = await ProjectAsync("other");
        _clock.Advance();
        await _identity.CreateRobotAsync(Robot("robot$team+b", team.Id));
        _clock.Advance();
        await _identity.CreateRobotAsync(Robot("robot$team+a_1", team.Id));
        _clock.Advance();
        await _identity.CreateRobotAsync(Robot("robot$other+a", other.Id));
        _clock.Advance();
        await _identity.CreateRobotAsync(Robot("robot$global", null));

        static List<string> N(Page<RobotRecord> page) => page.Items.Select(r => r.Name).ToList();
        Assert.Equal(["robot$team+b", "robot$team+a_1", "robot$other+a", "robot$global"], N(await _identity.ListRobotsAsync(ListQuery.All)));
        var inTeam = await _identity.ListRobotsAsync(Query(new ListFilter("project_id", FilterKind.Exact, team.Id.ToString())));
        Assert.Equal(["robot$team+b", "robot$team+a_1"], N(inTeam));
        Assert.Equal(2, inTeam.Total);
        Assert.Equal(["robot$global"], N(await _identity.ListRobotsAsync(Query(new ListFilter("level", FilterKind.Exact, "system")))));
        Assert.Equal(["robot$team+a_1"], N(await _identity.ListRobotsAsync(Query(new ListFilter("name", FilterKind.Fuzzy, "A_")))));
        Assert.Equal(["robot$other+a"], N(await _identity.ListRobotsAsync(Query(new ListFilter("name", FilterKind.Exact, "robot$other+a")))));
        Assert.Equal(["robot$global", "robot$other+a", "robot$team+a_1", "robot$team+b"], N(await _identity.ListRobotsAsync(Sorted("name"))));
        var newest = await _identity.ListRobotsAsync(new ListQuery(0, 1, [new ListFilter("level", FilterKind.Exact, "project")], "creation_time", true));
        Assert.Equal(["robot$other+a"], N(newest));
        Assert.Equal(3, newest.Total);
    }

    // ---- audit log ----

    [Fact]
    public async Task TheAuditLogListsNewestFirstFiltersByTimeAndProjectAndPurgesOldEntries()
    {
        for (var i = 0; i < 6; i++)
        {
            await _identity.AppendAuditAsync(new AuditRecord(0, i % 2 == 0 ? 1 : null, i < 3 ? "ann" : "bob", $"library/app:v{i}", "artifact",
                i % 3 == 0 ? "create" : "pull", "success", T0.AddMinutes(i)));
        }
        // Two at the same time: the later one (higher id) first.
        await _identity.AppendAuditAsync(new AuditRecord(0, 1, "carol", "library/app:same", "artifact", "delete", "failure", T0.AddMinutes(5)));

        var all = await _identity.ListAuditAsync(ListQuery.All, null);
        Assert.Equal(7, all.Total);
        Assert.Equal(["library/app:same", "library/app:v5", "library/app:v4", "library/app:v3", "library/app:v2", "library/app:v1", "library/app:v0"],
            all.Items.Select(a => a.Resource));
        var first = all.Items[^1];
        Assert.Equal(((long?)1, "ann", "artifact", "create", "success", T0), (first.ProjectId, first.Username, first.ResourceType, first.Operation, first.Result, first.OpTime));
        Assert.Equal("failure", all.Items[0].Result);

        var range = new ListFilter("op_time", FilterKind.Range, From: T0.AddMinutes(1).ToUnixTimeMilliseconds().ToString(), To: T0.AddMinutes(3).ToUnixTimeMilliseconds().ToString());
        Assert.Equal(["library/app:v3", "library/app:v2", "library/app:v1"], (await _identity.ListAuditAsync(Query(range), null)).Items.Select(a => a.Resource));
        var since = new ListFilter("op_time", FilterKind.Range, From: T0.AddMinutes(4).ToUnixTimeMilliseconds().ToString());
        Assert.Equal(3, (await _identity.ListAuditAsync(Query(since), null)).Total);
        var until = new ListFilter("op_time", FilterKind.Range, To: T0.AddMinutes(1).ToUnixTimeMilliseconds().ToString());
        Assert.Equal(2, (await _identity.ListAuditAsync(Query(until), null)).Total);

        var inLibrary = await _identity.ListAuditAsync(ListQuery.All, 1);
        Assert.Equal(["library/app:same", "library/app:v4", "library/app:v2", "library/app:v0"], inLibrary.Items.Select(a => a.Resource).ToList());
        Assert.Equal(4, inLibrary.Total);
        var pullsInLibrary = await _identity.ListAuditAsync(Query(range with { To = null }, new ListFilter("operation", FilterKind.Exact, "pull")), 1);
        Assert.Equal(["library/app:v4", "library/app:v2"], pullsInLibrary.Items.Select(a => a.Resource));
        Assert.Empty((await _identity.ListAuditAsync(Query(new ListFilter("username", FilterKind.Exact, "bob"), new ListFilter("operation", FilterKind.Exact, "create")), 1)).Items);
        Assert.Equal(["library/app:v3"], (await _identity.ListAuditAsync(Query(new ListFilter("username", FilterKind.Exact, "bob"), new ListFilter("operation", FilterKind.Exact, "create")), null)).Items.Select(a => a.Resource));
        Assert.Equal(2, (await _identity.ListAuditAsync(Query(new ListFilter("operation", FilterKind.Fuzzy, "REA")), null)).Total);
        Assert.Equal(1, (await _identity.ListAuditAsync(Query(new ListFilter("resource", FilterKind.Fuzzy, ":v1")), null)).Total);
        Assert.Equal(7, (await _identity.ListAuditAsync(Query(new ListFilter("resource_type", FilterKind.Exact, "artifact")), null)).Total);
        Assert.Equal(["library/app:v0", "library/app:v1"], (await _identity.ListAuditAsync(new ListQuery(0, 2, [], "op_time"), null)).Items.Select(a => a.Resource));

        Assert.Equal(2, await _identity.PurgeAuditAsync(T0.AddMinutes(2)));
        Assert.Equal(0, await _identity.PurgeAuditAsync(T0.AddMinutes(2)));
        var left = await _identity.ListAuditAsync(ListQuery.All, null);
        Assert.Equal(5, left.Total);
        Assert.DoesNotContain(left.Items, a => a.OpTime < T0.AddMinutes(2));
    }

    // ---- settings ----

    [Fact]
    public async Task SettingsAreUpsertedAndKeptPerKey()
    {
        Assert.Empty(await _identity.GetSettingsAsync());
        await _identity.SetSettingsAsync(new Dictionary<string, string> { ["auth_mode"] = "\"db_auth\"", ["audit_retention_hours"] = "168" });
        await _identity.SetSettingsAsync(new Dictionary<string, string> { ["auth_mode"] = "\"ldap_auth\"", ["self_registration"] = "false" });
        Assert.Equal(new Dictionary<string, string>
        {
            ["auth_mode"] = "\"ldap_auth\"", ["audit_retention_hours"] = "168", ["self_registration"] = "false",
        }, await _identity.GetSettingsAsync());
        await _identity.SetSettingsAsync(new Dictionary<string, string>());
        Assert.Equal(3, (await _identity.GetSettingsAsync()).Count);
    }

    // ---- the account store over the same rows ----

    [Fact]
    public async Task TheAccountStoreReadsAndWritesTheSameProjectsAndUsers()
    {
        await _accounts.UpsertProjectAsync("team", isPublic: false);
        var team = (await _identity.GetProjectAsync("team"))!;
        Assert.Equal((false, 1L, -1L), (team.Public, team.OwnerId, team.StorageLimit));
        Assert.True(team.Id > 1);
        Assert.Equal(team, await _accounts.GetProjectAsync("team"));
        _clock.Advance();
        await _accounts.UpsertProjectAsync("team", isPublic: true);
        var updated = (await _identity.GetProjectAsync("team"))!;
        Assert.Equal((team.Id, true, _clock.GetUtcNow()), (updated.Id, updated.Public, updated.UpdatedAt));

        await UserAsync("ann", "ann@example.com");
        var ann = (await _accounts.GetUserAsync("ann"))!;
        Assert.Equal(await _identity.GetUserAsync("ann"), ann);
        Assert.Equal(("ann@example.com", "ANN", "comment ann"), (ann.Email, ann.Realname, ann.Comment));
    }

    // ---- repositories and artifacts ----

    private ManifestRecord Manifest(string repository, string body, string mediaType = MediaTypes.OciManifest, string? artifactType = "application/vnd.example", params Digest[] references)
    {
        _clock.Advance();
        var content = Encoding.UTF8.GetBytes(body);
        return new ManifestRecord(repository, Digest.Compute(content), mediaType, content.Length, artifactType, null,
            ImmutableDictionary<string, string>.Empty.Add("org.example", body.Length.ToString()), references, content);
    }

    private async Task<Digest> BlobAsync(string repository, string content)
    {
        var digest = Digest.Compute(Encoding.UTF8.GetBytes(content));
        await _repositories.LinkBlobAsync(repository, digest, content.Length);
        return digest;
    }

    /// <summary>
    /// library/app: an index of two image manifests (tagged v1), an image sharing a config with one
    /// of them (tagged s1 and s2), and an untagged image; four artifacts, two of them children.
    /// </summary>
    private async Task<(ManifestRecord Index, ManifestRecord A, ManifestRecord B, ManifestRecord Single, ManifestRecord Untagged, long[] Sizes)> PushAppAsync()
    {
        var config1 = await BlobAsync("library/app", "config-one"); // 10 bytes
        var layer1 = await BlobAsync("library/app", new string('1', 100));
        var config2 = await BlobAsync("library/app", "config-two-two-two-2"); // 20 bytes
        var layer2 = await BlobAsync("library/app", new string('2', 200));

        var a = Manifest("library/app", "{\"image\":\"a\"}", references: [config1, layer1]);
        var b = Manifest("library/app", "{\"image\":\"b-bb\"}", references: [config2, layer2]);
        await _repositories.SaveManifestAsync(a, null);
        await _repositories.SaveManifestAsync(b, null);
        var index = Manifest("library/app", "{\"index\":[\"a\",\"b\"]}", MediaTypes.OciIndex, null, a.Digest, b.Digest);
        await _repositories.SaveManifestAsync(index, "v1");
        var single = Manifest("library/app", "{\"image\":\"single\"}", references: [config1]);
        await _repositories.SaveManifestAsync(single, "s1");
        await _repositories.SaveManifestAsync(single, "s2");
        var untagged = Manifest("library/app", "{\"image\":\"untagged\"}", references: [config2]);
        await _repositories.SaveManifestAsync(untagged, null);

        var sizeA = a.Size + 10 + 100;
        var sizeB = b.Size + 20 + 200;
        return (index, a, b, single, untagged, [index.Size + sizeA + sizeB, sizeA, sizeB, single.Size + 10, untagged.Size + 20]);
    }

    [Fact]
    public async Task ArtifactsAreTheManifestsNoIndexReferencesWithTheSizesOfWhatTheyReference()
    {
        var (index, a, b, single, untagged, sizes) = await PushAppAsync();

        var page = await _artifacts.ListArtifactsAsync("library/app", ListQuery.All);
        Assert.Equal(3, page.Total);
        Assert.Equal([untagged.Digest, single.Digest, index.Digest], page.Items.Select(x => x.Digest));

        var listedIndex = page.Items[2];
        Assert.Equal(StableIds.Of("library/app@" + index.Digest), listedIndex.Id);
        Assert.Equal(("library/app", MediaTypes.OciIndex, (string?)null, sizes[0]), (listedIndex.Repository, listedIndex.MediaType, listedIndex.ArtifactType, listedIndex.Size));
        Assert.Equal(new[] { a.Digest, b.Digest }.OrderBy(d => d.ToString(), StringComparer.Ordinal), listedIndex.Children);
        Assert.Equal(["v1"], listedIndex.Tags.Select(t => t.Name));
        Assert.Equal(index.Annotations!["org.example"], listedIndex.Annotations!["org.example"]);
        Assert.Null(listedIndex.PulledAt);
        Assert.Null(listedIndex.Subject);

        var listedSingle = page.Items[1];
        Assert.Equal(("application/vnd.example", sizes[3]), (listedSingle.ArtifactType, listedSingle.Size));
        Assert.Equal(["s1", "s2"], listedSingle.Tags.Select(t => t.Name));
        Assert.Empty(listedSingle.Children);
        Assert.Equal(sizes[4], page.Items[0].Size);
        Assert.Empty(page.Items[0].Tags);

        // A child is still an artifact of its own when asked for by digest.
        var child = (await _artifacts.GetArtifactAsync("library/app", a.Digest))!;
        Assert.Equal((sizes[1], 0), (child.Size, child.Children.Count));
        var got = (await _artifacts.GetArtifactAsync("library/app", index.Digest))!;
        Assert.Equal(listedIndex with { Tags = got.Tags, Children = got.Children, Annotations = got.Annotations, Labels = got.Labels }, got);
        Assert.Equal(listedIndex.Labels, got.Labels);
        Assert.Equal(listedIndex.Tags, got.Tags);
        Assert.Equal(listedIndex.Children, got.Children);
        Assert.Equal(listedIndex.Annotations, got.Annotations);
        Assert.Null(await _artifacts.GetArtifactAsync("library/app", Digest.Compute([0])));
        Assert.Null(await _artifacts.GetArtifactAsync("library/other", a.Digest));

        var repository = (await _artifacts.GetRepositoryAsync("library/app"))!;
        Assert.Equal((StableIds.Of("library/app"), "library", 3L, 0L, ""), (repository.Id, repository.Project, repository.ArtifactCount, repository.PullCount, repository.Description));

        // Deleting the index makes its children artifacts of their own.
        await _repositories.DeleteManifestAsync("library/app", index.Digest);
        Assert.Equal(4, (await _artifacts.GetRepositoryAsync("library/app"))!.ArtifactCount);
        Assert.Equal(4, (await _artifacts.ListArtifactsAsync("library/app", ListQuery.All)).Total);
    }

    [Fact]
    public async Task ArtifactsAreFilteredByTagDigestAndTypeSortedAndPaged()
    {
        var (index, _, _, single, untagged, _) = await PushAppAsync();
        async Task<List<Digest>> Digests(ListQuery query) => (await _artifacts.ListArtifactsAsync("library/app", query)).Items.Select(x => x.Digest).ToList();

        Assert.Equal([untagged.Digest], await Digests(Query(new ListFilter("tags", FilterKind.Exact, "nil"))));
        Assert.Equal([single.Digest], await Digests(Query(new ListFilter("tags", FilterKind.Exact, "s2"))));
        Assert.Equal([single.Digest], await Digests(Query(new ListFilter("tags", FilterKind.Fuzzy, "S"))));
        Assert.Equal([single.Digest, index.Digest], await Digests(Query(new ListFilter("tags", FilterKind.In, Values: ["v1", "s1", "zz"]))));
        Assert.Empty(await Digests(Query(new ListFilter("tags", FilterKind.Fuzzy, "_"))));
        Assert.Equal([index.Digest], await Digests(Query(new ListFilter("media_type", FilterKind.Exact, MediaTypes.OciIndex))));
        Assert.Equal([untagged.Digest, single.Digest], await Digests(Query(new ListFilter("artifact_type", FilterKind.Exact, "application/vnd.example"))));
        Assert.Equal([index.Digest], await Digests(Query(new ListFilter("digest", FilterKind.Exact, index.Digest.ToString()))));
        Assert.Equal([index.Digest], await Digests(Query(new ListFilter("digest", FilterKind.Fuzzy, index.Digest.Hex[..12].ToUpperInvariant()))));

        var byDigest = new[] { index.Digest, single.Digest, untagged.Digest }.OrderBy(d => d.ToString(), StringComparer.Ordinal).ToList();
        Assert.Equal(byDigest, await Digests(Sorted("digest")));
        Assert.Equal([index.Digest, single.Digest, untagged.Digest], await Digests(Sorted("push_time")));
        var paged = await _artifacts.ListArtifactsAsync("library/app", new ListQuery(1, 1, [], "push_time", true));
        Assert.Equal([single.Digest], paged.Items.Select(x => x.Digest).ToList());
        Assert.Equal(3, paged.Total);
        Assert.Equal(0, (await _artifacts.ListArtifactsAsync("library/none", ListQuery.All)).Total);
    }

    [Fact]
    public async Task PullsSetTheLatestPullTimesAndAddUpPerRepository()
    {
        var (index, _, _, single, untagged, _) = await PushAppAsync();
        var t1 = T0.AddDays(1);
        var t2 = T0.AddDays(2);
        await _artifacts.RecordPullsAsync(
        [
            new PullRecord("library/app", index.Digest, "v1", t2, 2),
            new PullRecord("library/app", index.Digest, "v1", t1, 1),
            new PullRecord("library/app", single.Digest, null, t1, 4),
            new PullRecord("library/app", single.Digest, "v1", t2, 1), // v1 does not name this manifest: its tag is untouched
        ]);
        await _artifacts.RecordPullsAsync([new PullRecord("library/app", index.Digest, "v1", t1, 1)]); // older: the time stays
        await _artifacts.RecordPullsAsync([]);

        var listedIndex = (await _artifacts.GetArtifactAsync("library/app", index.Digest))!;
        Assert.Equal(t2, listedIndex.PulledAt);
        Assert.Equal(t2, Assert.Single(listedIndex.Tags).PulledAt);
        var listedSingle = (await _artifacts.GetArtifactAsync("library/app", single.Digest))!;
        Assert.Equal(t2, listedSingle.PulledAt);
        Assert.All(listedSingle.Tags, t => Assert.Null(t.PulledAt));
        Assert.All(listedSingle.Tags, t => Assert.True(t.PushedAt > T0));
        Assert.Equal(9, (await _artifacts.GetRepositoryAsync("library/app"))!.PullCount);

        // Never pulled sorts as the oldest pull.
        Assert.Equal(untagged.Digest, (await _artifacts.ListArtifactsAsync("library/app", Sorted("pull_time"))).Items[0].Digest);
        Assert.Equal(untagged.Digest, (await _artifacts.ListArtifactsAsync("library/app", Sorted("pull_time", true))).Items[^1].Digest);
    }

    [Fact]
    public async Task RepositoriesAreListedByProjectNameAndPullCountAndKeepADescription()
    {
        await ProjectAsync("team");
        foreach (var name in new[] { "library/b", "library/a_x", "library/aax", "team/app" })
            await _repositories.SaveManifestAsync(Manifest(name, "{\"r\":\"" + name + "\"}"), "latest");
        await _artifacts.RecordPullsAsync([new PullRecord("library/b", Manifest("library/b", "{\"r\":\"library/b\"}").Digest, null, T0, 5)]);

        static List<string> N(Page<RepositoryRecord> page) => page.Items.Select(r => r.Name).ToList();
        var all = await _artifacts.ListRepositoriesAsync(ListQuery.All, null);
        Assert.Equal(["library/a_x", "library/aax", "library/b", "team/app"], N(all));
        Assert.Equal(4, all.Total);
        Assert.All(all.Items, r => Assert.Equal(1, r.ArtifactCount));
        Assert.Equal(["library/a_x", "library/aax", "library/b"], N(await _artifacts.ListRepositoriesAsync(ListQuery.All, ["library"])));
        Assert.Equal(["library/a_x", "library/aax", "library/b", "team/app"], N(await _artifacts.ListRepositoriesAsync(ListQuery.All, ["library", "team"])));
        Assert.Empty(N(await _artifacts.ListRepositoriesAsync(ListQuery.All, [])));
        Assert.Equal(["library/a_x"], N(await _artifacts.ListRepositoriesAsync(Query(new ListFilter("name", FilterKind.Fuzzy, "A_")), null)));
        Assert.Equal(["team/app"], N(await _artifacts.ListRepositoriesAsync(Query(new ListFilter("name", FilterKind.Exact, "team/app")), null)));
        Assert.Equal("library/b", N(await _artifacts.ListRepositoriesAsync(Sorted("pull_count", true), null))[0]);
        Assert.Equal(["team/app", "library/b"], N(await _artifacts.ListRepositoriesAsync(new ListQuery(0, 2, [], "name", true), null)));
        Assert.Equal(["team/app", "library/aax"], N(await _artifacts.ListRepositoriesAsync(new ListQuery(0, 2, [], "creation_time", true), null)));
        var page = await _artifacts.ListRepositoriesAsync(new ListQuery(1, 1, [], "update_time"), ["library"]);
        Assert.Equal(["library/a_x"], N(page));
        Assert.Equal(3, page.Total);

        Assert.True(await _artifacts.SetRepositoryDescriptionAsync("team/app", "The app"));
        Assert.False(await _artifacts.SetRepositoryDescriptionAsync("team/none", "x"));
        var app = (await _artifacts.GetRepositoryAsync("team/app"))!;
        Assert.Equal(("The app", "team", StableIds.Of("team/app")), (app.Description, app.Project, app.Id));
        Assert.Null(await _artifacts.GetRepositoryAsync("team/none"));
        Assert.Equal(3, await _artifacts.CountRepositoriesAsync("library"));
        Assert.Equal(1, await _artifacts.CountRepositoriesAsync("team"));
        Assert.Equal(0, await _artifacts.CountRepositoriesAsync("none"));
    }

    [Fact]
    public async Task ProjectStorageCountsEachBlobOnceAndTheManifestsAndStatisticsCountEverything()
    {
        await ProjectAsync("team");
        await ProjectAsync("teams", isPublic: true);
        var shared = await BlobAsync("team/a", new string('s', 1000));
        await BlobAsync("team/b", new string('s', 1000));
        var own = await BlobAsync("team/b", new string('o', 300));
        await BlobAsync("team/uploading", new string('u', 50)); // no manifest yet
        await BlobAsync("teams/x", new string('x', 7000)); // another project, whose name starts the same
        await BlobAsync("library/x", new string('s', 1000));
        var ma = Manifest("team/a", "{\"a\":1}", references: [shared]);
        var mb = Manifest("team/b", "{\"b\":1}", references: [shared, own]);
        await _repositories.SaveManifestAsync(ma, "v1");
        await _repositories.SaveManifestAsync(mb, "v1");
        await _repositories.SaveManifestAsync(Manifest("teams/x", "{\"x\":1}"), "v1");
        await _repositories.SaveManifestAsync(Manifest("library/x", "{\"x\":2}"), "v1");

        Assert.Equal(1000 + 300 + 50 + ma.Size + mb.Size, await _artifacts.ProjectStorageAsync("team"));
        Assert.Equal(0, await _artifacts.ProjectStorageAsync("none"));

        var statistics = await _artifacts.StatisticsAsync();
        Assert.Equal(new RegistryStatistics(PrivateProjects: 1, PublicProjects: 2, PrivateRepositories: 2, PublicRepositories: 2,
            StorageBytes: 1000 + 300 + 50 + 7000), statistics);
    }

    [Fact]
    public async Task ListQueryAllReturnsEveryRowAndAZeroLimitOnlyTheTotal()
    {
        for (var i = 0; i < 12; i++) await UserAsync($"user{i:00}");
        var all = await _identity.ListUsersAsync(ListQuery.All);
        Assert.Equal((13, 13L), (all.Items.Count, all.Total));
        var none = await _identity.ListUsersAsync(new ListQuery(0, 0, []));
        Assert.Equal((0, 13L), (none.Items.Count, none.Total));
        ListFilter[] users = [new("username", FilterKind.Fuzzy, "user")];
        var pages = new List<string>();
        for (var offset = 0; offset < 15; offset += 5)
        {
            var page = await _identity.ListUsersAsync(new ListQuery(offset, 5, users, "username", true));
            Assert.Equal(12, page.Total);
            pages.AddRange(page.Items.Select(u => u.Username));
        }
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"user{i:00}").Reverse(), pages);
    }

    [Fact]
    public async Task TheOutboxKeepsEventsInOrderAndPurgesOnlyWhatIsOldAndRead()
    {
        var outbox = _services.GetRequiredService<Registry.Grains.Metadata.IOutbox>();
        var at = _clock.GetUtcNow();
        await outbox.AppendAsync([
            new Registry.Grains.Policies.RegistryEvent("PUSH_ARTIFACT", at, "admin", 1, "library", "library/a", "sha256:" + new string('a', 64), ["v1"], "application/vnd.oci.image.manifest.v1+json", 10),
            new Registry.Grains.Policies.RegistryEvent("QUOTA_WARNING", at.AddSeconds(1), "admin", 1, "library", Detail: new Dictionary<string, string> { ["used"] = "90", ["limit"] = "100" }),
        ]);
        var all = await outbox.ReadAsync(0, 10);
        Assert.Equal(["PUSH_ARTIFACT", "QUOTA_WARNING"], all.Select(e => e.Event.Type));
        Assert.True(all[0].Id < all[1].Id);
        Assert.Equal(["v1"], all[0].Event.Tags!);
        Assert.Equal("90", all[1].Event.Detail!["used"]);
        Assert.Equal(at, all[0].Event.OccurAt);
        Assert.Equal(["QUOTA_WARNING"], (await outbox.ReadAsync(all[0].Id, 10)).Select(e => e.Event.Type));

        Assert.Equal(1, await outbox.PurgeAsync(at.AddSeconds(5), all[0].Id));
        Assert.Equal([all[1].Id], (await outbox.ReadAsync(0, 10)).Select(e => e.Id));
    }

    // ---- webhooks and audit purge (HOOKS) ----

    [Fact]
    public async Task WebhookPoliciesAndJobsKeepEachPolicysEventsInOrderAndTheCursorMovesOnce()
    {
        var store = _services.GetRequiredService<IWebhookStore>();
        var project = await ProjectAsync("hooked");
        var now = _clock.GetUtcNow();
        var target = new WebhookTarget("http", "https://example.org/hook", "Bearer x", false, "Default");
        var policy = (await store.CreatePolicyAsync(new WebhookPolicyRecord(0, project.Id, "ci", "d", [target], ["PUSH_ARTIFACT"], true, "admin", now, now)))!;
        Assert.Null(await store.CreatePolicyAsync(policy with { Id = 0 }));
        Assert.Equal([target], (await store.GetPolicyAsync(project.Id, policy.Id))!.Targets);
        Assert.Null(await store.GetPolicyAsync(project.Id + 1, policy.Id));
        Assert.Single(await store.EnabledPoliciesAsync());
        Assert.Equal(1, (await store.ListPoliciesAsync(project.Id, new ListQuery(0, 10, [new ListFilter("enabled", FilterKind.Exact, "true")]))).Total);

        WebhookJobRecord Job(long eventId) => new(0, policy.Id, project.Id, eventId, "PUSH_ARTIFACT", 0, "http", "{}", "Pending", 0, now, null, "", "", now, now);
        var cursor = await store.CursorAsync("webhooks");
        Assert.True(await store.EnqueueAsync("webhooks", cursor, cursor + 2, [Job(cursor + 1), Job(cursor + 2)]));
        Assert.False(await store.EnqueueAsync("webhooks", cursor, cursor + 2, [Job(cursor + 1)])); // another node was first
        Assert.Equal(cursor + 2, await store.CursorAsync("webhooks"));

        // Only the head of the policy's queue is handed out, and only once while its lease runs.
        var claimed = Assert.Single(await store.ClaimAsync(now, now.AddMinutes(1), 10));
        Assert.Equal(cursor + 1, claimed.EventId);
        Assert.Equal(1, claimed.Attempts);
        Assert.Empty(await store.ClaimAsync(now, now.AddMinutes(1), 10));
        await store.CompleteAsync(claimed.Id, "Pending", 503, "answered 503", "try 1", now.AddSeconds(10), now);
        Assert.Empty(await store.ClaimAsync(now.AddSeconds(5), now.AddMinutes(1), 10)); // backing off; the next event waits
        claimed = Assert.Single(await store.ClaimAsync(now.AddSeconds(10), now.AddMinutes(1), 10));
        Assert.Equal(2, claimed.Attempts);
        await store.CompleteAsync(claimed.Id, "Success", 200, "", "try 2", now.AddSeconds(10), now.AddSeconds(10));
        var second = Assert.Single(await store.ClaimAsync(now.AddSeconds(10), now.AddSeconds(20), 10));
        Assert.Equal(cursor + 2, second.EventId);
        // A lease that runs out makes the job due again.
        Assert.Equal(second.Id, Assert.Single(await store.ClaimAsync(now.AddSeconds(21), now.AddMinutes(1), 10)).Id);

        var done = (await store.GetJobAsync(project.Id, policy.Id, claimed.Id))!;
        Assert.Equal(("Success", 200, "try 1\ntry 2\n"), (done.Status, done.ResponseCode, done.Log));
        var jobs = await store.ListJobsAsync(project.Id, policy.Id, new ListQuery(0, 10, [new ListFilter("status", FilterKind.Exact, "Success")]));
        Assert.Equal(1, jobs.Total);
        Assert.NotNull(Assert.Single(await store.LastTriggersAsync(project.Id)).LastTriggerAt);
        Assert.Equal(1, await store.PurgeJobsAsync(now.AddHours(1)));

        Assert.True(await store.UpdatePolicyAsync(policy with { Enabled = false }));
        Assert.Empty(await store.EnabledPoliciesAsync());
        Assert.True(await store.DeletePolicyAsync(project.Id, policy.Id));
        Assert.Equal(0, (await store.ListJobsAsync(project.Id, null, new ListQuery(0, 10, []))).Total);
    }

    [Fact]
    public async Task TheAuditPurgeClaimsEachOccurrenceOnceAndFiltersByOperation()
    {
        var store = _services.GetRequiredService<IAuditPurgeStore>();
        var now = _clock.GetUtcNow();
        await store.AppendAuditAsync(
        [
            new AuditRecord(0, null, "a", "r", "artifact", "pull", "success", now.AddHours(-5)),
            new AuditRecord(0, null, "a", "r", "artifact", "delete", "success", now.AddHours(-5)),
            new AuditRecord(0, null, "a", "r", "artifact", "pull", "success", now),
        ]);
        Assert.Equal(2, await store.PurgeAuditAsync(now.AddHours(-1), [], dryRun: true));
        Assert.Equal(1, await store.PurgeAuditAsync(now.AddHours(-1), ["pull"], dryRun: false));
        Assert.Equal(["delete", "pull"], (await _identity.ListAuditAsync(ListQuery.All, null)).Items.Where(e => e.Username == "a").Select(e => e.Operation).Order());

        Assert.Null(await store.GetScheduleAsync());
        await store.SetScheduleAsync(new AuditPurgeScheduleRecord("Daily", "0 0 0 * * *", "{}", now, now, now));
        Assert.True(await store.ClaimRunAsync(now, now.AddDays(1)));
        Assert.False(await store.ClaimRunAsync(now, now.AddDays(1)));
        Assert.Equal(now.AddDays(1), (await store.GetScheduleAsync())!.NextRunAt);

        var run = await store.StartAsync("MANUAL", "{}", now);
        await store.FinishAsync(run.Id, "Success", 3, "log", now.AddSeconds(1));
        Assert.Equal(("Success", 3L, "log"), ((await store.GetAsync(run.Id))!.Status, (await store.GetAsync(run.Id))!.Deleted, (await store.GetAsync(run.Id))!.Log));
        Assert.Equal(1, (await store.ListAsync(new ListQuery(0, 10, [new ListFilter("job_status", FilterKind.Exact, "Success")]))).Total);
    }
}
