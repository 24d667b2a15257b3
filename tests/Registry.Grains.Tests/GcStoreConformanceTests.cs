using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Grains.Tests;

/// <summary>
/// The garbage collector's metadata on every database: what is reachable, the window, the deletion
/// marker against links, untagged manifests, history and schedule. Each test gets a new database.
/// </summary>
public abstract class GcStoreConformanceTests : IAsyncLifetime
{
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);
    private ServiceProvider _services = null!;
    private IRepositoryStore _store = null!;
    private IGcStore _gc = null!;

    protected abstract Task ConfigureAsync(IServiceCollection services);

    /// <summary>Runs raw SQL on the database under test (the recycle bin's table, which another migration brings).</summary>
    protected abstract Task ExecuteAsync(IServiceProvider services, string sql);

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        await ConfigureAsync(services);
        services.AddSingleton<TimeProvider>(_clock);
        _services = services.BuildServiceProvider();
        await _services.GetRequiredService<IMetadataDatabase>().MigrateAsync();
        _store = _services.GetRequiredService<IRepositoryStore>();
        _gc = _services.GetRequiredService<IGcStore>();
    }

    public virtual async Task DisposeAsync() => await _services.DisposeAsync();

    private static Digest Blob(string name) => Digest.Compute(System.Text.Encoding.UTF8.GetBytes(name));

    private async Task<IReadOnlyList<Digest>> CandidatesAsync(DateTimeOffset cutoff) =>
        [.. (await _gc.ListCandidatesAsync(cutoff, null, 100)).Select(c => c.Digest)];

    [Fact]
    public async Task OnlyUnreferencedBlobsLinkedBeforeTheCutoffAreCandidates()
    {
        var layer = Blob("layer");
        var garbage = Blob("garbage");
        var child = MetadataStoreConformanceTests.Manifest("library/a", "{\"child\":1}");
        await _store.LinkBlobAsync("library/a", layer, 5);
        await _store.LinkBlobAsync("library/a", garbage, 7);
        await _store.SaveManifestAsync(MetadataStoreConformanceTests.Manifest("library/a", "{\"image\":1}", null, layer), "v1");
        await _store.SaveManifestAsync(child, null);
        // An index referencing the child, and the child's digest also linked as a blob (clients may push it so).
        await _store.SaveManifestAsync(MetadataStoreConformanceTests.Manifest("library/a", "{\"index\":1}", null, child.Digest), "multi");
        await _store.LinkBlobAsync("library/a", child.Digest, child.Size);
        _clock.Advance(TimeSpan.FromHours(1));
        var recent = Blob("recent");
        await _store.LinkBlobAsync("library/b", recent, 3);

        var cutoff = _clock.GetUtcNow();
        var candidates = await _gc.ListCandidatesAsync(cutoff, null, 100);
        var only = Assert.Single(candidates);
        Assert.Equal(garbage, only.Digest);
        Assert.Equal(7, only.Size);

        _clock.Advance();
        Assert.Equal(new[] { garbage, recent }.OrderBy(d => d.ToString(), StringComparer.Ordinal), await CandidatesAsync(_clock.GetUtcNow()));
    }

    [Fact]
    public async Task AReLinkRestartsTheWindow()
    {
        var blob = Blob("relinked");
        await _store.LinkBlobAsync("library/a", blob, 1);
        _clock.Advance(TimeSpan.FromHours(3));
        await _store.LinkBlobAsync("library/b", blob, 1);
        Assert.Empty(await CandidatesAsync(_clock.GetUtcNow() - TimeSpan.FromHours(2)));
        _clock.Advance(TimeSpan.FromHours(3));
        Assert.Equal([blob], await CandidatesAsync(_clock.GetUtcNow() - TimeSpan.FromHours(2)));
    }

    [Fact]
    public async Task BlobsOfArtifactsInTheRecycleBinAreReachable()
    {
        var blob = Blob("binned");
        await _store.LinkBlobAsync("library/a", blob, 1);
        _clock.Advance();
        Assert.Equal([blob], await CandidatesAsync(_clock.GetUtcNow()));

        await ExecuteAsync(_services, "CREATE TABLE IF NOT EXISTS recycle_bin_references (bin_id bigint NOT NULL, reference text NOT NULL)");
        await ExecuteAsync(_services, $"INSERT INTO recycle_bin_references (bin_id, reference) VALUES (1, '{blob}')");
        Assert.Empty(await CandidatesAsync(_clock.GetUtcNow()));
        Assert.False(await _gc.MarkAsync(blob, _clock.GetUtcNow()));
    }

    [Fact]
    public async Task AMarkedBlobRefusesLinksUntilUnmarkedAndOnlyMarkedRowsAreDeleted()
    {
        var blob = Blob("marked");
        await _store.LinkBlobAsync("library/a", blob, 1);
        _clock.Advance();
        Assert.False(await _gc.MarkAsync(blob, _clock.GetUtcNow() - TimeSpan.FromHours(1)));
        Assert.True(await _gc.MarkAsync(blob, _clock.GetUtcNow()));

        Assert.False(await _store.LinkBlobAsync("library/b", blob, 1));
        Assert.Equal(["library/a"], await _gc.ListLinksAsync(blob));

        await _gc.UnmarkAsync(blob);
        Assert.True(await _store.LinkBlobAsync("library/b", blob, 1));
        Assert.Equal(["library/a", "library/b"], await _gc.ListLinksAsync(blob));
        // Re-linked now: the mark is refused at this cutoff.
        Assert.False(await _gc.MarkAsync(blob, _clock.GetUtcNow()));

        await _gc.DeleteMarkedAsync(blob);
        _clock.Advance();
        Assert.Equal([blob], await CandidatesAsync(_clock.GetUtcNow()));
        Assert.True(await _gc.MarkAsync(blob, _clock.GetUtcNow()));
        Assert.True(await _store.UnlinkUnreferencedBlobAsync("library/a", blob));
        Assert.True(await _store.UnlinkUnreferencedBlobAsync("library/b", blob));
        await _gc.DeleteMarkedAsync(blob);
        Assert.Empty(await CandidatesAsync(_clock.GetUtcNow()));
        // Gone: a new upload links it afresh.
        Assert.True(await _store.LinkBlobAsync("library/a", blob, 1));
    }

    [Fact]
    public async Task AMarkIsRefusedOnceAManifestReferencesTheBlobAndTheGcUnlinkRefusesToo()
    {
        var blob = Blob("pushed");
        await _store.LinkBlobAsync("library/a", blob, 1);
        _clock.Advance();
        await _store.SaveManifestAsync(MetadataStoreConformanceTests.Manifest("library/a", "{\"p\":1}", null, blob), "v1");
        Assert.False(await _gc.MarkAsync(blob, _clock.GetUtcNow()));
        Assert.False(await _store.UnlinkUnreferencedBlobAsync("library/a", blob));
        Assert.Equal(["library/a"], await _gc.ListLinksAsync(blob));
    }

    [Fact]
    public async Task UntaggedManifestsExcludeTaggedIndexChildrenAndReferrers()
    {
        var tagged = MetadataStoreConformanceTests.Manifest("library/u", "{\"t\":1}");
        var child = MetadataStoreConformanceTests.Manifest("library/u", "{\"c\":1}");
        var loose = MetadataStoreConformanceTests.Manifest("library/u", "{\"l\":1}");
        var referrer = MetadataStoreConformanceTests.Manifest("library/u", "{\"r\":1}", tagged.Digest);
        await _store.SaveManifestAsync(tagged, "v1");
        await _store.SaveManifestAsync(child, null);
        await _store.SaveManifestAsync(MetadataStoreConformanceTests.Manifest("library/u", "{\"i\":1}", null, child.Digest), "multi");
        await _store.SaveManifestAsync(loose, null);
        await _store.SaveManifestAsync(referrer, null);

        Assert.Equal([("library/u", loose.Digest)], await _gc.ListUntaggedAsync());
    }

    [Fact]
    public async Task RunsAreRecordedNewestFirstAndInterruptedOnesEndInError()
    {
        var first = await _gc.CreateRunAsync("MANUAL", true, false, 2, 0);
        _clock.Advance();
        await _gc.UpdateRunAsync(first, "Success", 3, 300, 1, "log one\n", ended: true);
        var second = await _gc.CreateRunAsync("SCHEDULE", false, true, 1, 2);
        await _gc.UpdateRunAsync(second, "Running", 1, 10, 0, "working\n", ended: false);

        var (runs, total) = await _gc.ListRunsAsync(0, 10);
        Assert.Equal(2, total);
        Assert.Equal([second, first], runs.Select(r => r.Id));
        var done = runs[1];
        Assert.Equal(("MANUAL", "Success", true, false, 2, 0), (done.JobKind, done.Status, done.DryRun, done.DeleteUntagged, done.Workers, done.TimeWindowHours));
        Assert.Equal((3L, 300L, 1L), (done.BlobsDeleted, done.BytesFreed, done.ManifestsDeleted));
        Assert.NotNull(done.EndedAt);
        Assert.Null(runs[0].EndedAt);
        Assert.Equal("log one\n", await _gc.GetRunLogAsync(first));

        Assert.Equal(1, await _gc.FailInterruptedAsync());
        var interrupted = await _gc.GetRunAsync(second);
        Assert.Equal("Error", interrupted!.Status);
        Assert.Contains("interrupted", await _gc.GetRunLogAsync(second));
        Assert.Null(await _gc.GetRunAsync(999));
        Assert.Single((await _gc.ListRunsAsync(1, 10)).Runs);
    }

    [Fact]
    public async Task TheScheduleRoundTrips()
    {
        Assert.Null(await _gc.GetScheduleAsync());
        var now = DateTimeOffset.FromUnixTimeMilliseconds(_clock.GetUtcNow().ToUnixTimeMilliseconds());
        var schedule = new GcScheduleRecord("Custom", "0 0 3 * * *", false, true, 3, 0, now.AddHours(1), now, now);
        await _gc.SaveScheduleAsync(schedule);
        Assert.Equal(schedule, await _gc.GetScheduleAsync());
        await _gc.SaveScheduleAsync(schedule with { Type = "None", NextRunAt = null });
        Assert.Equal("None", (await _gc.GetScheduleAsync())!.Type);
    }
}

public sealed class SqliteGcStoreTests : GcStoreConformanceTests
{
    private readonly TempDirectory _dir = new();

    protected override Task ConfigureAsync(IServiceCollection services)
    {
        services.AddSqliteMetadata(_dir.Path);
        return Task.CompletedTask;
    }

    protected override Task ExecuteAsync(IServiceProvider services, string sql) =>
        services.GetRequiredService<SqliteDatabase>().WriteAsync((c, tx) => SqliteDatabase.ExecuteAsync(c, tx, sql, CancellationToken.None));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresGcStoreTests(PostgresFixture postgres) : GcStoreConformanceTests
{
    protected override async Task ConfigureAsync(IServiceCollection services) =>
        services.AddPostgresMetadata(await postgres.CreateDatabaseAsync());

    protected override Task ExecuteAsync(IServiceProvider services, string sql) =>
        services.GetRequiredService<PostgresDatabase>().WriteAsync((c, tx) => PostgresDatabase.ExecuteAsync(c, tx, sql, CancellationToken.None));
}
