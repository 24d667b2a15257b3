using System.Collections.Immutable;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Grains.Tests;

/// <summary>
/// What every metadata store must do, run against each (SQLite, PostgreSQL) through the same
/// registration the hosts use. Each test gets a new, migrated, empty database.
/// </summary>
public abstract class MetadataStoreConformanceTests : IAsyncLifetime
{
    private ServiceProvider _services = null!;
    private IMetadataDatabase _db = null!;
    private IRepositoryStore _store = null!;
    private IListingStore _listings = null!;
    private IAccountStore _accounts = null!;

    /// <summary>Registers the store under test over a new, empty database.</summary>
    protected abstract Task ConfigureAsync(IServiceCollection services);

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        await ConfigureAsync(services);
        _services = services.BuildServiceProvider();
        _db = _services.GetRequiredService<IMetadataDatabase>();
        await _db.MigrateAsync();
        _store = _services.GetRequiredService<IRepositoryStore>();
        _listings = _services.GetRequiredService<IListingStore>();
        _accounts = _services.GetRequiredService<IAccountStore>();
    }

    public virtual async Task DisposeAsync() => await _services.DisposeAsync();

    internal static ManifestRecord Manifest(string repository, string body, Digest? subject = null, params Digest[] references)
    {
        var content = Encoding.UTF8.GetBytes(body);
        return new ManifestRecord(repository, Digest.Compute(content), "application/vnd.oci.image.manifest.v1+json", content.Length,
            "application/example", subject, ImmutableDictionary<string, string>.Empty.Add("k", "v"), references, content);
    }

    [Fact]
    public async Task MigratingTwiceIsHarmlessAndLibraryExists()
    {
        await _db.MigrateAsync();
        var library = await _accounts.GetProjectAsync("library");
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
    public async Task ARepositoryRowGoesOnlyOnceItHoldsNoManifestAndLinksNoBlob()
    {
        var blob = Digest.Compute([7]);
        await _store.LinkBlobAsync("library/gone", blob, 1);
        var m = Manifest("library/gone", "{\"gone\":1}", null, blob);
        await _store.SaveManifestAsync(m, "v1");

        Assert.False(await _store.DeleteIfEmptyAsync("library/gone"));
        await _store.DeleteManifestAsync("library/gone", m.Digest);
        Assert.False(await _store.DeleteIfEmptyAsync("library/gone"));
        Assert.True(await _listings.RepositoryExistsAsync("library/gone"));

        await _store.UnlinkBlobAsync("library/gone", blob);
        Assert.True(await _store.DeleteIfEmptyAsync("library/gone"));
        Assert.False(await _listings.RepositoryExistsAsync("library/gone"));
        Assert.DoesNotContain("library/gone", await _listings.ListRepositoriesAsync(null, 100));
        Assert.False(await _store.DeleteIfEmptyAsync("library/gone"));
    }

    [Fact]
    public async Task MovingATagKeepsOneRowAndDeletingAManifestTakesItsTagsAlong()
    {
        var first = Manifest("library/a", "{\"n\":1}");
        var second = Manifest("library/a", "{\"n\":2}");
        await _store.SaveManifestAsync(first, "latest");
        await _store.SaveManifestAsync(first, "stable");
        await _store.SaveManifestAsync(second, "latest");
        Assert.Equal(["latest", "stable"], await _listings.ListTagsAsync("library/a", null, 10));

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
        Assert.Equal(["B", "a"], await _listings.ListTagsAsync("library/a", null, 2));
        Assert.Equal(["a0", "b"], await _listings.ListTagsAsync("library/a", "a", 2));
        Assert.Empty(await _listings.ListTagsAsync("library/a", "c", 2));

        await _store.SaveManifestAsync(Manifest("library/z", "{}"), null);
        await _store.SaveManifestAsync(Manifest("library/m/n", "{}"), null);
        Assert.Equal(["library/a", "library/m/n", "library/z"], await _listings.ListRepositoriesAsync(null, 10));
        Assert.Equal(["library/z"], await _listings.ListRepositoriesAsync("library/m/n", 10));
        Assert.True(await _listings.RepositoryExistsAsync("library/z"));
        Assert.False(await _listings.RepositoryExistsAsync("library/nothing"));
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

    [Fact]
    public async Task SameBlobAndManifestSavedFromTwoRepositoriesAtOnceDoNotConflict()
    {
        var blob = Digest.Compute([3]);
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            var repository = i % 2 == 0 ? "library/x" : "library/y";
            await _store.LinkBlobAsync(repository, blob, 1);
            await _store.SaveManifestAsync(Manifest(repository, "{\"same\":1}", null, blob), $"t{i}");
        })));
        foreach (var repository in new[] { "library/x", "library/y" })
        {
            var snapshot = await _store.LoadAsync(repository);
            Assert.Single(snapshot.Manifests);
            Assert.Equal(10, snapshot.Tags.Count);
            Assert.Equal(1, snapshot.Blobs[blob]);
        }
    }

    /// <summary>Tag names whose byte order differs from any linguistic order (case, punctuation, accents).</summary>
    public static readonly string[] AwkwardNames =
    [
        "latest", "Latest", "v1.10", "v1.9", "v1-rc", "v1_rc", "v1.rc", "V2", "_x", "-x", ".x", "0", "9",
        "a", "A", "B", "b", "ab", "a-b", "a.b", "a_b", "e", "é", "f", "ä", "z", "Z", "Ω",
    ];

    /// <summary>Every tag of <paramref name="repository"/>, fetched <paramref name="pageSize"/> at a time.</summary>
    public static async Task<List<string>> PageAllTagsAsync(IListingStore listings, string repository, int pageSize)
    {
        var all = new List<string>();
        string? last = null;
        while (true)
        {
            var page = await listings.ListTagsAsync(repository, last, pageSize);
            Assert.True(page.Count <= pageSize);
            all.AddRange(page);
            if (page.Count < pageSize) return all;
            last = page[^1];
        }
    }

    [Fact]
    public async Task KeysetPagingVisitsEveryNameOnceInByteOrder()
    {
        var m = Manifest("library/p", "{}");
        foreach (var tag in AwkwardNames) await _store.SaveManifestAsync(m, tag);
        var expected = AwkwardNames.Order(StringComparer.Ordinal).ToList();
        foreach (var pageSize in new[] { 1, 3, 7, 100 })
        {
            Assert.Equal(expected, await PageAllTagsAsync(_listings, "library/p", pageSize));
        }

        var repositories = new[] { "library/a", "library/a-b", "library/a.b", "library/a/b", "library/a/b/c", "library/a0", "library/a_b", "library/ab" };
        foreach (var repository in repositories.Reverse()) await _store.SaveManifestAsync(Manifest(repository, "{}"), null);
        var names = new List<string>();
        for (string? last = null; await _listings.ListRepositoriesAsync(last, 2) is { Count: > 0 } page; last = page[^1]) names.AddRange(page);
        Assert.Equal(repositories.Append("library/p").Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public async Task ASecretKeepsTheFirstValueStored()
    {
        Assert.Equal("first", await _accounts.GetOrAddSecretAsync("signing-key", "first"));
        Assert.Equal("first", await _accounts.GetOrAddSecretAsync("signing-key", "second"));
        Assert.Equal("other", await _accounts.GetOrAddSecretAsync("cache-key", "other"));
    }

    [Fact]
    public async Task CallersRacingForASecretAllGetTheSameValue()
    {
        var candidates = Enumerable.Range(0, 16).Select(i => $"candidate-{i}").ToArray();
        var values = await Task.WhenAll(candidates.Select(c => Task.Run(() => _accounts.GetOrAddSecretAsync("raced", c))));
        Assert.Single(values.Distinct());
        Assert.Contains(values[0], candidates);
        Assert.Equal(values[0], await _accounts.GetOrAddSecretAsync("raced", "late"));
    }

    [Fact]
    public async Task ProjectsUsersAndUploadsRoundTrip()
    {
        await _accounts.UpsertProjectAsync("team", isPublic: false);
        Assert.False((await _accounts.GetProjectAsync("team"))!.Public);
        await _accounts.UpsertProjectAsync("team", isPublic: true);
        Assert.True((await _accounts.GetProjectAsync("team"))!.Public);
        Assert.Null(await _accounts.GetProjectAsync("nobody"));

        Assert.True(await _accounts.TryCreateUserAsync("ann", "hash-1", sysAdmin: true));
        Assert.False(await _accounts.TryCreateUserAsync("ann", "hash-2", sysAdmin: false));
        var ann = await _accounts.GetUserAsync("ann");
        Assert.Equal(("ann", "hash-1", true), (ann!.Username, ann.PasswordHash, ann.SysAdmin));
        Assert.True(await _accounts.TryCreateUserAsync("bob", "hash-3", sysAdmin: false));
        Assert.NotEqual(ann.Id, (await _accounts.GetUserAsync("bob"))!.Id);
        Assert.Null(await _accounts.GetUserAsync("nobody"));
        await _accounts.PingAsync();

        var uploads = _services.GetRequiredService<IUploadStore>();
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        await uploads.CreateAsync(new UploadRecord("u2", "library/a", t0.AddMinutes(2)));
        await uploads.CreateAsync(new UploadRecord("u1", "library/a", t0.AddMinutes(1)));
        await uploads.CreateAsync(new UploadRecord("u3", "team/b", t0.AddMinutes(3)));
        Assert.Equal(new UploadRecord("u3", "team/b", t0.AddMinutes(3)), await uploads.GetAsync("u3"));
        await uploads.SetCommittedAsync("u3", "sha256:" + new string('a', 64));
        Assert.Equal(new UploadRecord("u3", "team/b", t0.AddMinutes(3), "sha256:" + new string('a', 64)), await uploads.GetAsync("u3"));
        Assert.Equal(["u1", "u2"], (await uploads.ListStartedBeforeAsync(t0.AddMinutes(10), 2)).Select(u => u.Id));
        Assert.Equal(["u1"], (await uploads.ListStartedBeforeAsync(t0.AddMinutes(2), 10)).Select(u => u.Id));
        await uploads.DeleteAsync("u1");
        Assert.Null(await uploads.GetAsync("u1"));
        Assert.Equal(["u2", "u3"], (await uploads.ListStartedBeforeAsync(t0.AddMinutes(10), 10)).Select(u => u.Id));
    }
    // ---- the recycle bin ----

    private async Task<long> LibraryIdAsync() =>
        (await _services.GetRequiredService<IIdentityStore>().GetProjectAsync("library"))!.Id;

    [Fact]
    public async Task AnArtifactMovedToTheBinComesBackWithTheSameBytesTagsTimesAndReferences()
    {
        var bin = _services.GetRequiredService<IRecycleBinStore>();
        var blob = Digest.Compute([1]);
        await _store.LinkBlobAsync("library/a", blob, 1);
        var m = Manifest("library/a", "{\"bin\":1}", null, blob);
        await _store.SaveManifestAsync(m, "v1");
        await _store.SaveManifestAsync(m, "v2");
        var signature = Manifest("library/a", "{\"sig\":1}", m.Digest);
        await _store.SaveManifestAsync(signature, null);
        var kept = Manifest("library/a", "{\"kept\":1}");
        await _store.SaveManifestAsync(kept, "kept");
        var before = await _store.LoadAsync("library/a");
        var outboxStart = (await _services.GetRequiredService<IOutbox>().ReadAsync(0, 1000)).Select(e => e.Id).DefaultIfEmpty(0).Max();

        await _store.DeleteManifestsAsync("library/a", [m.Digest, signature.Digest], "alice");

        var moved = await _store.LoadAsync("library/a");
        Assert.Equal([kept.Digest], moved.Manifests.Select(x => x.Digest));
        Assert.Equal(["kept"], moved.Tags.Keys);
        Assert.Equal(1, moved.Blobs[blob]);
        Assert.Null(await _store.GetManifestContentAsync("library/a", m.Digest));

        var projectId = await LibraryIdAsync();
        var page = await bin.ListAsync(projectId, ListQuery.All);
        var entry = Assert.Single(page.Items);
        Assert.Equal(1, page.Total);
        Assert.Equal((projectId, "library/a", m.Digest, m.MediaType, "application/example", m.Size, "alice", 1),
            (entry.ProjectId, entry.Repository, entry.Digest, entry.MediaType, entry.ArtifactType, entry.Size, entry.DeletedBy, entry.Accessories));
        Assert.Equal(["v1", "v2"], entry.Tags);
        Assert.Equal(TimeSpan.FromDays(RecycleBinSql.DefaultRetentionDays), entry.ExpiresAt - entry.DeletedAt);
        var got = (await bin.GetAsync(projectId, entry.Id))!;
        Assert.Equal(entry, got with { Tags = entry.Tags });
        Assert.Equal(entry.Tags, got.Tags);
        Assert.Null(await bin.GetAsync(projectId + 1000, entry.Id));

        var events = (await _services.GetRequiredService<IOutbox>().ReadAsync(outboxStart, 100)).Select(e => e.Event).ToList();
        var deleted = Assert.Single(events, e => e.Type == Policies.EventTypes.DeleteArtifact);
        Assert.Equal(("alice", projectId, "library", "library/a", m.Digest.ToString(), m.Size), (deleted.Operator, deleted.ProjectId, deleted.Project, deleted.Repository, deleted.Digest, deleted.Size));
        Assert.Equal(["v1", "v2"], deleted.Tags!);

        // The blob link went (as a repository delete does); the restore links it again.
        await _store.UnlinkBlobAsync("library/a", blob);
        var restored = await _store.RestoreAsync("library/a", entry.Id);
        Assert.Equal(RestoreStatus.Restored, restored.Status);
        Assert.Equal([m.Digest, signature.Digest], restored.Manifests.Select(x => x.Digest));
        Assert.Equal(1, restored.Blobs[blob]);

        var after = await _store.LoadAsync("library/a");
        Assert.Equal(before.Manifests.OrderBy(x => x.Digest.ToString()).Select(x => x with { Annotations = null }),
            after.Manifests.OrderBy(x => x.Digest.ToString()).Select(x => x with { Annotations = null }));
        Assert.All(after.Manifests, x => Assert.Equal("v", x.Annotations!["k"]));
        Assert.Equal(before.Tags.OrderBy(t => t.Key), after.Tags.OrderBy(t => t.Key));
        Assert.Equal(before.Blobs, after.Blobs);
        Assert.Equal(m.Content, await _store.GetManifestContentAsync("library/a", m.Digest));
        Assert.Equal(signature.Content, await _store.GetManifestContentAsync("library/a", signature.Digest));
        Assert.Empty((await bin.ListAsync(projectId, ListQuery.All)).Items);

        // The references came back too: moved and restored again, the blob is linked again.
        await _store.DeleteManifestsAsync("library/a", [m.Digest], "bob");
        await _store.UnlinkBlobAsync("library/a", blob);
        var again = Assert.Single((await bin.ListAsync(projectId, ListQuery.All)).Items);
        Assert.Equal(1, (await _store.RestoreAsync("library/a", again.Id)).Blobs[blob]);
        Assert.Equal(RestoreStatus.NotFound, (await _store.RestoreAsync("library/a", again.Id)).Status);
    }

    [Fact]
    public async Task ARestoreIsRefusedWithoutWritingWhenItsDigestOrATagIsTakenOrABlobIsGone()
    {
        var bin = _services.GetRequiredService<IRecycleBinStore>();
        var projectId = await LibraryIdAsync();
        var m = Manifest("library/r", "{\"r\":1}");
        await _store.SaveManifestAsync(m, "v1");
        await _store.DeleteManifestsAsync("library/r", [m.Digest], "alice");
        var entry = Assert.Single((await bin.ListAsync(projectId, ListQuery.All)).Items);

        // The same digest pushed again.
        await _store.SaveManifestAsync(m, null);
        var refused = await _store.RestoreAsync("library/r", entry.Id);
        Assert.Equal(RestoreStatus.Conflict, refused.Status);
        Assert.Contains(m.Digest.ToString(), refused.Detail);
        await _store.DeleteManifestsAsync("library/r", [m.Digest], "alice");

        // Its tag now names another artifact.
        var other = Manifest("library/r", "{\"r\":2}");
        await _store.SaveManifestAsync(other, "v1");
        refused = await _store.RestoreAsync("library/r", entry.Id);
        Assert.Equal(RestoreStatus.Conflict, refused.Status);
        Assert.Contains("v1", refused.Detail);
        var snapshot = await _store.LoadAsync("library/r");
        Assert.Equal([other.Digest], snapshot.Manifests.Select(x => x.Digest));
        Assert.Equal(2, (await bin.ListAsync(projectId, ListQuery.All)).Total);

        // Another repository's entry is not found here.
        Assert.Equal(RestoreStatus.NotFound, (await _store.RestoreAsync("library/elsewhere", entry.Id)).Status);

        // A blob it references is no longer stored.
        var missing = Manifest("library/r", "{\"r\":3}", null, Digest.Compute([42]));
        await _store.SaveManifestAsync(missing, "gone");
        await _store.DeleteManifestsAsync("library/r", [missing.Digest], "alice");
        var gone = (await bin.ListAsync(projectId, ListQuery.All)).Items.Single(x => x.Digest == missing.Digest);
        refused = await _store.RestoreAsync("library/r", gone.Id);
        Assert.Equal(RestoreStatus.Gone, refused.Status);
        Assert.DoesNotContain(missing.Digest, (await _store.LoadAsync("library/r")).Manifests.Select(x => x.Digest));
        Assert.NotNull(await bin.GetAsync(projectId, gone.Id));
    }

    [Fact]
    public async Task BinEntriesArePurgedOneByOneAllAtOnceOrWhenTheyExpire()
    {
        var bin = _services.GetRequiredService<IRecycleBinStore>();
        var projectId = await LibraryIdAsync();
        async Task<RecycleBinRecord> DeleteAsync(string body)
        {
            var m = Manifest("library/p", body);
            var referrer = Manifest("library/p", body + " ", m.Digest);
            await _store.SaveManifestAsync(m, null);
            await _store.SaveManifestAsync(referrer, null);
            await _store.DeleteManifestsAsync("library/p", [m.Digest, referrer.Digest], "alice");
            return (await bin.ListAsync(projectId, ListQuery.All)).Items.Single(x => x.Digest == m.Digest);
        }

        var first = await DeleteAsync("{\"p\":1}");
        var second = await DeleteAsync("{\"p\":2}");
        var settings = _services.GetRequiredService<IIdentityStore>();
        await settings.SetSettingsAsync(new Dictionary<string, string> { [RecycleBinSql.RetentionSetting] = "30" });
        var third = await DeleteAsync("{\"p\":3}");
        Assert.Equal(TimeSpan.FromDays(30), third.ExpiresAt - third.DeletedAt);
        Assert.Equal(3, (await bin.ListAsync(projectId, ListQuery.All)).Total);
        Assert.Equal(0, await bin.PurgeAsync(projectId + 1000, first.Id));
        Assert.Equal(2, await bin.PurgeAsync(projectId, first.Id));
        Assert.Equal([third.Id, second.Id], (await bin.ListAsync(projectId, ListQuery.All)).Items.Select(x => x.Id));

        Assert.Equal(0, await bin.PurgeExpiredAsync(second.ExpiresAt.AddMilliseconds(-1)));
        Assert.Equal(2, await bin.PurgeExpiredAsync(second.ExpiresAt));
        Assert.Equal(2, await bin.PurgeAsync(projectId, null));
        Assert.Empty((await bin.ListAsync(projectId, ListQuery.All)).Items);
        Assert.Equal(RestoreStatus.NotFound, (await _store.RestoreAsync("library/p", third.Id)).Status);

        // With a retention of 0 days, deletions skip the bin.
        await settings.SetSettingsAsync(new Dictionary<string, string> { [RecycleBinSql.RetentionSetting] = "0" });
        var direct = Manifest("library/p", "{\"p\":4}");
        await _store.SaveManifestAsync(direct, "t");
        await _store.DeleteManifestsAsync("library/p", [direct.Digest], "alice");
        Assert.Empty((await _store.LoadAsync("library/p")).Manifests);
        Assert.Empty((await bin.ListAsync(projectId, ListQuery.All)).Items);
    }
}
