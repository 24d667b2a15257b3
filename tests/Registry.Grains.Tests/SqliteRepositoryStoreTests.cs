using System.Collections.Immutable;
using System.Text;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Grains.Tests;

public sealed class SqliteRepositoryStoreTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private SqliteDatabase _db = null!;
    private SqliteRepositoryStore _store = null!;

    public async Task InitializeAsync()
    {
        _db = new SqliteDatabase(Path.Combine(_dir.Path, "registry.db"));
        await _db.MigrateAsync();
        _store = new SqliteRepositoryStore(_db, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        _dir.Dispose();
    }

    private static ManifestRecord Manifest(string repository, string body, Digest? subject = null, params Digest[] references)
    {
        var content = Encoding.UTF8.GetBytes(body);
        return new ManifestRecord(repository, Digest.Compute(content), "application/vnd.oci.image.manifest.v1+json", content.Length,
            "application/example", subject, ImmutableDictionary<string, string>.Empty.Add("k", "v"), references, content);
    }

    [Fact]
    public async Task MigratingTwiceIsHarmlessAndLibraryExists()
    {
        await _db.MigrateAsync();
        var accounts = new SqliteAccountStore(_db, TimeProvider.System);
        var library = await accounts.GetProjectAsync("library");
        Assert.NotNull(library);
        Assert.True(library.Public);
    }

    [Fact]
    public async Task SavedManifestTagAndBlobLinksLoadBackAsTheyWereWritten()
    {
        var blob = Digest.Compute([1]);
        await _store.LinkBlobAsync("library/a", blob, 1);
        var subject = Digest.Compute([9]);
        var m = Manifest("library/a", "{\"a\":1}", subject, blob);
        await _store.SaveManifestAsync(m, "v1");

        var snapshot = await _store.LoadAsync("library/a");
        Assert.True(snapshot.Exists);
        var entry = Assert.Single(snapshot.Manifests);
        Assert.Equal(m.Digest, entry.Digest);
        Assert.Equal(subject, entry.Subject);
        Assert.Equal("application/example", entry.ArtifactType);
        Assert.Equal("v", entry.Annotations!["k"]);
        Assert.Equal(m.Digest, snapshot.Tags["v1"]);
        Assert.Equal(1, snapshot.Blobs[blob]);
        Assert.Equal(m.Content, await _store.GetManifestContentAsync("library/a", m.Digest));
    }

    [Fact]
    public async Task MovingATagKeepsOneRowAndDeletingAManifestTakesItsTagsAlong()
    {
        var first = Manifest("library/a", "{\"n\":1}");
        var second = Manifest("library/a", "{\"n\":2}");
        await _store.SaveManifestAsync(first, "latest");
        await _store.SaveManifestAsync(first, "stable");
        await _store.SaveManifestAsync(second, "latest");
        Assert.Equal(["latest", "stable"], await _store.ListTagsAsync("library/a", null, 10));

        await _store.DeleteManifestAsync("library/a", first.Digest);
        var snapshot = await _store.LoadAsync("library/a");
        Assert.Equal(second.Digest, Assert.Single(snapshot.Tags).Value);
        Assert.Equal(second.Digest, Assert.Single(snapshot.Manifests).Digest);
    }

    [Fact]
    public async Task ListingsAreSortedAndContinueAfterTheLastNameSeen()
    {
        var m = Manifest("library/a", "{}");
        foreach (var tag in new[] { "b", "a", "c", "B", "a0" }) await _store.SaveManifestAsync(m, tag);
        Assert.Equal(["B", "a"], await _store.ListTagsAsync("library/a", null, 2));
        Assert.Equal(["a0", "b"], await _store.ListTagsAsync("library/a", "a", 2));
        Assert.Empty(await _store.ListTagsAsync("library/a", "c", 2));

        await _store.SaveManifestAsync(Manifest("library/z", "{}"), null);
        await _store.SaveManifestAsync(Manifest("library/m/n", "{}"), null);
        Assert.Equal(["library/a", "library/m/n", "library/z"], await _store.ListRepositoriesAsync(null, 10));
        Assert.Equal(["library/z"], await _store.ListRepositoriesAsync("library/m/n", 10));
        Assert.True(await _store.RepositoryExistsAsync("library/z"));
        Assert.False(await _store.RepositoryExistsAsync("library/nothing"));
    }

    [Fact]
    public async Task ConcurrentWritesFromManyCallersAllCommit()
    {
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            _store.SaveManifestAsync(Manifest("library/c", $"{{\"i\":{i}}}"), $"t{i}")));
        Assert.Equal(50, (await _store.LoadAsync("library/c")).Tags.Count);
    }

    [Fact]
    public async Task LinkingTwiceKeepsOneLinkAndUnlinkRemovesIt()
    {
        var blob = Digest.Compute([7]);
        await _store.LinkBlobAsync("library/a", blob, 1);
        await _store.LinkBlobAsync("library/a", blob, 1);
        Assert.Single((await _store.LoadAsync("library/a")).Blobs);
        await _store.UnlinkBlobAsync("library/a", blob);
        Assert.Empty((await _store.LoadAsync("library/a")).Blobs);
    }
}
