using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ProjectGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AProjectCreatedAfterItWasAskedForIsSeenAtOnce()
    {
        var name = "p" + Guid.NewGuid().ToString("N")[..10];
        var grain = fixture.Silo(0).GetGrain<IProjectGrain>(name);
        Assert.Null(await grain.GetAsync());

        await using var db = new SqliteDatabase(Path.Combine(fixture.DataPath, "registry.db"));
        await new SqliteAccountStore(db, TimeProvider.System).UpsertProjectAsync(name, isPublic: false);

        var project = await fixture.Silo(1).GetGrain<IProjectGrain>(name).GetAsync();
        Assert.NotNull(project);
        Assert.False(project.Public);
    }

    [Fact]
    public async Task LibraryIsPublicFromTheStart() =>
        Assert.True((await fixture.Silo(0).GetGrain<IProjectGrain>("library").GetAsync())!.Public);
}
