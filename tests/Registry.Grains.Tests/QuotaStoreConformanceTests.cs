using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;

namespace Registry.Grains.Tests;

/// <summary>
/// Quota accounting and immutable tag rules, on each database: usage counts each digest once per
/// project, deletes release exactly what only they held, concurrent pushes stay exact and a
/// refused push writes nothing.
/// </summary>
public abstract class QuotaStoreConformanceTests : IAsyncLifetime
{
    private ServiceProvider _services = null!;
    private IRepositoryStore _store = null!;
    private IIdentityStore _identity = null!;
    private IGovernanceStore _governance = null!;
    private IOutbox _outbox = null!;

    protected abstract Task ConfigureAsync(IServiceCollection services);

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        await ConfigureAsync(services);
        _services = services.BuildServiceProvider();
        await _services.GetRequiredService<IMetadataDatabase>().MigrateAsync();
        _store = _services.GetRequiredService<IRepositoryStore>();
        _identity = _services.GetRequiredService<IIdentityStore>();
        _governance = _services.GetRequiredService<IGovernanceStore>();
        _outbox = _services.GetRequiredService<IOutbox>();
    }

    public virtual async Task DisposeAsync() => await _services.DisposeAsync();

    private async Task<long> ProjectAsync(string name, long limit = -1) =>
        (await _identity.CreateProjectAsync(name, false, 1, limit))!.Id;

    private async Task<long> UsedAsync(long projectId) => (await _governance.GetQuotaAsync(projectId))!.Used;

    private static Digest BlobDigest(int n) => Digest.Compute(BitConverter.GetBytes(n));

    [Fact]
    public async Task ABlobSharedByTwoRepositoriesOfAProjectCountsOnceAndDeletesReleaseOnlyWhatNothingElseHolds()
    {
        var id = await ProjectAsync("shared");
        var layer = BlobDigest(1);
        await _store.LinkBlobAsync("shared/a", layer, 1000);
        await _store.LinkBlobAsync("shared/b", layer, 1000);
        var m1 = MetadataStoreConformanceTests.Manifest("shared/a", "{\"m\":1}", null, layer);
        var m2 = MetadataStoreConformanceTests.Manifest("shared/b", "{\"m\":2}", null, layer);
        await _store.SaveManifestAsync(m1, "v1");
        await _store.SaveManifestAsync(m2, "v1");
        Assert.Equal(m1.Size + m2.Size + 1000, await UsedAsync(id));

        // The same manifest in a third repository adds nothing; pushing it again adds nothing.
        await _store.LinkBlobAsync("shared/c", layer, 1000);
        await _store.SaveManifestAsync(m1 with { Repository = "shared/c" }, "v1");
        await _store.SaveManifestAsync(m1, "v2");
        Assert.Equal(m1.Size + m2.Size + 1000, await UsedAsync(id));

        await _store.DeleteManifestAsync("shared/a", m1.Digest);
        Assert.Equal(m1.Size + m2.Size + 1000, await UsedAsync(id));
        await _store.DeleteManifestAsync("shared/c", m1.Digest);
        Assert.Equal(m2.Size + 1000, await UsedAsync(id));
        await _store.DeleteManifestAsync("shared/b", m2.Digest);
        Assert.Equal(0, await UsedAsync(id));

        // Another project's usage is its own.
        var other = await ProjectAsync("other");
        await _store.LinkBlobAsync("other/a", layer, 1000);
        await _store.SaveManifestAsync(m1 with { Repository = "other/a" }, "v1");
        Assert.Equal(m1.Size + 1000, await UsedAsync(other));
        Assert.Equal(0, await UsedAsync(id));
    }

    [Fact]
    public async Task APushOverTheLimitIsRefusedWritesNothingAndNamesUsageAndLimit()
    {
        var id = await ProjectAsync("small", limit: 1500);
        await _store.LinkBlobAsync("small/app", BlobDigest(1), 1000);
        await _store.LinkBlobAsync("small/app", BlobDigest(2), 1000);
        var first = MetadataStoreConformanceTests.Manifest("small/app", "{\"first\":1}", null, BlobDigest(1));
        await _store.SaveManifestAsync(first, "v1");
        var used = await UsedAsync(id);
        Assert.Equal(first.Size + 1000, used);

        var second = MetadataStoreConformanceTests.Manifest("small/app", "{\"second\":1}", null, BlobDigest(2));
        var refused = await Assert.ThrowsAsync<QuotaExceededException>(() => _store.SaveManifestAsync(second, "v2"));
        Assert.Equal(1500, refused.Limit);
        Assert.Equal(used, refused.Used);
        Assert.Equal(second.Size + 1000, refused.Adding);
        Assert.Contains("will exceed the configured upper limit of 1.46 KiB", refused.Message);

        var snapshot = await _store.LoadAsync("small/app");
        Assert.Single(snapshot.Manifests);
        Assert.False(snapshot.Tags.ContainsKey("v2"));
        Assert.Equal(used, await UsedAsync(id));
        var events = await _outbox.ReadAsync(0, 100);
        Assert.DoesNotContain(events, e => e.Event.Digest == second.Digest.ToString());

        // A push of what the project already holds (a new tag) is never refused.
        await _store.SaveManifestAsync(first, "again");
        Assert.Equal(first.Digest, (await _store.LoadAsync("small/app")).Tags["again"]);
    }

    [Fact]
    public async Task PushesWriteAPushEventWithTheOperatorAndCrossingEightyFivePercentWarnsOnce()
    {
        var id = await ProjectAsync("warn", limit: 10_000);
        await _store.LinkBlobAsync("warn/app", BlobDigest(1), 8000);
        await _store.LinkBlobAsync("warn/app", BlobDigest(2), 500);
        var big = MetadataStoreConformanceTests.Manifest("warn/app", "{\"big\":1}", null, BlobDigest(1)) with { Operator = "alice" };
        await _store.SaveManifestAsync(big, "v1");
        var more = MetadataStoreConformanceTests.Manifest("warn/app", "{\"more\":1}", null, BlobDigest(2)) with { Operator = "bob" };
        await _store.SaveManifestAsync(more, "v2");
        var evenMore = MetadataStoreConformanceTests.Manifest("warn/app", "{\"evenmore\":1}") with { Operator = "bob" };
        await _store.SaveManifestAsync(evenMore, null);

        var events = (await _outbox.ReadAsync(0, 100)).Select(e => e.Event).ToList();
        var pushes = events.Where(e => e.Type == EventTypes.PushArtifact).ToList();
        Assert.Equal(3, pushes.Count);
        Assert.Equal("alice", pushes[0].Operator);
        Assert.Equal(id, pushes[0].ProjectId);
        Assert.Equal("warn/app", pushes[0].Repository);
        Assert.Equal(["v1"], pushes[0].Tags!);
        Assert.Equal(big.Digest.ToString(), pushes[0].Digest);
        Assert.Equal(big.Size, pushes[0].Size);
        Assert.Equal(big.MediaType, pushes[0].MediaType);

        var warning = Assert.Single(events, e => e.Type == EventTypes.QuotaWarning);
        Assert.Equal(more.Digest.ToString(), warning.Digest);
        Assert.Equal("10000", warning.Detail!["limit"]);
        Assert.Equal((big.Size + more.Size + 8500).ToString(), warning.Detail!["used"]);
    }

    [Fact]
    public async Task ConcurrentPushesAndDeletesInTwoRepositoriesSharingBlobsKeepUsageExact()
    {
        var id = await ProjectAsync("busy");
        var shared = BlobDigest(0);
        foreach (var repo in new[] { "busy/a", "busy/b" }) await _store.LinkBlobAsync(repo, shared, 4096);
        var manifests = new List<ManifestRecord>();
        for (var i = 1; i <= 24; i++)
        {
            var repo = i % 2 == 0 ? "busy/a" : "busy/b";
            await _store.LinkBlobAsync(repo, BlobDigest(i), 100 + i);
            manifests.Add(MetadataStoreConformanceTests.Manifest(repo, $"{{\"n\":{i}}}", null, shared, BlobDigest(i)));
        }
        await Task.WhenAll(manifests.Select(m => Task.Run(() => _store.SaveManifestAsync(m, "t" + m.Size))));
        var expected = 4096 + manifests.Sum(m => m.Size) + Enumerable.Range(1, 24).Sum(i => 100 + i);
        Assert.Equal(expected, await UsedAsync(id));

        await Task.WhenAll(manifests.Take(23).Select(m => Task.Run(() => _store.DeleteManifestAsync(m.Repository, m.Digest))));
        Assert.Equal(4096 + manifests[23].Size + 124, await UsedAsync(id));
        await _store.DeleteManifestAsync(manifests[23].Repository, manifests[23].Digest);
        Assert.Equal(0, await UsedAsync(id));
    }

    [Fact]
    public async Task QuotasListWithLimitsAndUsageAndSortByThem()
    {
        var a = await ProjectAsync("qa", limit: 5000);
        var b = await ProjectAsync("qb", limit: 100_000);
        await _store.LinkBlobAsync("qb/x", BlobDigest(1), 3000);
        await _store.SaveManifestAsync(MetadataStoreConformanceTests.Manifest("qb/x", "{}", null, BlobDigest(1)), "v1");

        var all = await _governance.ListQuotasAsync(null, QuotaSort.ProjectId, false, 0, 100);
        Assert.Equal(3, all.Total); // library, qa, qb
        var byUsed = await _governance.ListQuotasAsync(null, QuotaSort.Used, true, 0, 1);
        Assert.Equal(b, Assert.Single(byUsed.Items).ProjectId);
        var byHard = await _governance.ListQuotasAsync(null, QuotaSort.Hard, false, 0, 100);
        Assert.Equal([a, b], byHard.Items.Take(2).Select(q => q.ProjectId));
        Assert.Equal(-1, byHard.Items[2].Limit);
        var one = await _governance.ListQuotasAsync(a, QuotaSort.ProjectId, false, 0, 100);
        Assert.Equal(5000, Assert.Single(one.Items).Limit);
        Assert.Null(await _governance.GetQuotaAsync(999_999));
    }

    [Fact]
    public async Task ImmutableRulesAreStoredPerProjectUpToTheLimit()
    {
        var id = await ProjectAsync("rules");
        var other = await ProjectAsync("others");
        var rule = new ImmutableRule(0, 0, false, [new RuleSelector("doublestar", "matches", "v*")], [new RuleSelector("doublestar", "repoMatches", "**")]);
        var first = await _governance.CreateImmutableRuleAsync(id, rule, 2);
        Assert.NotNull(first);
        Assert.NotNull(await _governance.CreateImmutableRuleAsync(id, rule with { Disabled = true }, 2));
        Assert.Null(await _governance.CreateImmutableRuleAsync(id, rule, 2));

        var rules = await _governance.ListImmutableRulesAsync(id);
        Assert.Equal(2, rules.Count);
        Assert.Equal(rule.TagSelectors.ToList(), rules[0].TagSelectors.ToList());
        Assert.Equal(rule.ScopeSelectors.ToList(), rules[0].ScopeSelectors.ToList());
        Assert.True(rules[1].Disabled);
        Assert.Empty(await _governance.ListImmutableRulesAsync(other));

        Assert.False(await _governance.UpdateImmutableRuleAsync(other, rule with { Id = first!.Value }));
        Assert.True(await _governance.UpdateImmutableRuleAsync(id, rule with { Id = first.Value, Disabled = true, TagSelectors = [new RuleSelector("doublestar", "excludes", "dev-*")] }));
        Assert.Equal("excludes", (await _governance.ListImmutableRulesAsync(id))[0].TagSelectors[0].Decoration);
        Assert.False(await _governance.DeleteImmutableRuleAsync(other, first.Value));
        Assert.True(await _governance.DeleteImmutableRuleAsync(id, first.Value));
        Assert.Single(await _governance.ListImmutableRulesAsync(id));
    }
}

public sealed class SqliteQuotaStoreTests : QuotaStoreConformanceTests
{
    private readonly TempDirectory _dir = new();

    protected override Task ConfigureAsync(IServiceCollection services)
    {
        services.AddSqliteMetadata(_dir.Path);
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresQuotaStoreTests(PostgresFixture postgres) : QuotaStoreConformanceTests
{
    protected override async Task ConfigureAsync(IServiceCollection services) =>
        services.AddPostgresMetadata(await postgres.CreateDatabaseAsync());
}
