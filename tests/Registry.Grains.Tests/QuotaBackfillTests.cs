using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Grains.Tests;

/// <summary>
/// A database written before quotas existed (schema version 4) is upgraded by migration 5, which
/// backfills each project's usage from what it already holds. The backfill must count exactly what
/// the live accounting would have counted had the same pushes and deletes happened with quotas on.
/// </summary>
public sealed class QuotaBackfillTests
{
    private const int VersionBeforeQuotas = 4;

    [Fact]
    public async Task UpgradingADatabaseFromBeforeQuotasCountsWhatLiveAccountingCounts()
    {
        using var live = new TempDirectory();
        using var old = new TempDirectory();

        // The same history, written by today's code with quotas on.
        var services = new ServiceCollection();
        services.AddSqliteMetadata(live.Path);
        await using (var provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredService<IMetadataDatabase>().MigrateAsync();
            await WriteHistoryAsync(provider.GetRequiredService<IRepositoryStore>(), provider.GetRequiredService<IIdentityStore>());
        }
        var livePath = Path.Combine(live.Path, "registry.db");
        var expected = await UsageAsync(livePath);
        Assert.Contains(expected.Projects, p => p.Name == "team" && p.Used > 0);
        Assert.Contains(expected.Refs, r => r.Project == "team" && r.Refs > 1);
        Assert.Contains(expected.Refs, r => r.Project == "other");

        // The database as version 4 would have held it: the tables it had, the columns it had.
        var oldPath = Path.Combine(old.Path, "registry.db");
        await using (var c = new SqliteConnection($"Data Source={oldPath};Pooling=False"))
        {
            await c.OpenAsync();
            for (var i = 0; i < VersionBeforeQuotas; i++) await ExecuteAsync(c, SqliteSchema.Migrations[i]);
            await ExecuteAsync(c, $"""
                PRAGMA foreign_keys = OFF;
                PRAGMA user_version = {VersionBeforeQuotas};
                ATTACH DATABASE '{livePath.Replace("'", "''")}' AS live;
                DELETE FROM projects;
                INSERT INTO projects (name, public, created_at, id, owner_id, storage_limit, updated_at)
                    SELECT name, public, created_at, id, owner_id, storage_limit, updated_at FROM live.projects;
                INSERT INTO repositories (name, project, created_at, updated_at, description, pull_count)
                    SELECT name, project, created_at, updated_at, description, pull_count FROM live.repositories;
                INSERT INTO blobs (digest, size, created_at) SELECT digest, size, created_at FROM live.blobs;
                INSERT INTO repository_blobs (repository, digest, size, created_at) SELECT repository, digest, size, created_at FROM live.repository_blobs;
                INSERT INTO manifests (repository, digest, media_type, artifact_type, subject, annotations, size, content, created_at, pulled_at)
                    SELECT repository, digest, media_type, artifact_type, subject, annotations, size, content, created_at, pulled_at FROM live.manifests;
                INSERT INTO manifest_references (repository, manifest, reference) SELECT repository, manifest, reference FROM live.manifest_references;
                INSERT INTO tags (repository, name, digest, updated_at, pulled_at) SELECT repository, name, digest, updated_at, pulled_at FROM live.tags;
                DETACH DATABASE live;
                """);
        }

        await using (var upgraded = new SqliteDatabase(oldPath)) await upgraded.MigrateAsync();

        var actual = await UsageAsync(oldPath);
        Assert.Equal(expected.Projects, actual.Projects);
        Assert.Equal(expected.Refs, actual.Refs);
    }

    /// <summary>Shared layers, a layer in two projects, an index over two images, a referrer, a delete.</summary>
    private static async Task WriteHistoryAsync(IRepositoryStore store, IIdentityStore identity)
    {
        await identity.CreateProjectAsync("team", false, 1, -1);
        await identity.CreateProjectAsync("other", false, 1, -1);
        var shared = Digest.Compute([1]);
        var own = Digest.Compute([2]);
        var config = Digest.Compute([3]);
        await store.LinkBlobAsync("team/a", shared, 5000);
        await store.LinkBlobAsync("team/a", config, 300);
        await store.LinkBlobAsync("team/b", shared, 5000);
        await store.LinkBlobAsync("team/b", own, 7000);
        await store.LinkBlobAsync("other/a", shared, 5000);

        var a1 = MetadataStoreConformanceTests.Manifest("team/a", "{\"a\":1}", null, config, shared);
        var a2 = MetadataStoreConformanceTests.Manifest("team/a", "{\"a\":2}", null, config, shared);
        await store.SaveManifestAsync(a1, "v1");
        await store.SaveManifestAsync(a2, "v2");
        var index = MetadataStoreConformanceTests.Manifest("team/a", "{\"index\":1}", null, a1.Digest, a2.Digest);
        await store.SaveManifestAsync(index, "multi");
        var referrer = MetadataStoreConformanceTests.Manifest("team/a", "{\"sbom\":1}", a1.Digest, config);
        await store.SaveManifestAsync(referrer, null);

        var b1 = MetadataStoreConformanceTests.Manifest("team/b", "{\"b\":1}", null, shared, own);
        await store.SaveManifestAsync(b1, "v1");
        await store.SaveManifestAsync(a1 with { Repository = "team/b" }, "copy");
        var gone = MetadataStoreConformanceTests.Manifest("team/b", "{\"gone\":1}", null, own);
        await store.SaveManifestAsync(gone, "old");
        await store.DeleteManifestAsync("team/b", gone.Digest);

        await store.SaveManifestAsync(MetadataStoreConformanceTests.Manifest("other/a", "{\"o\":1}", null, shared), "v1");
        await store.SaveManifestAsync(MetadataStoreConformanceTests.Manifest("library/x", "{\"l\":1}"), "latest");
    }

    private sealed record Usage(List<(string Name, long Used)> Projects, List<(string Project, string Digest, long Size, long Refs)> Refs);

    private static async Task<Usage> UsageAsync(string path)
    {
        await using var c = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await c.OpenAsync();
        var projects = new List<(string, long)>();
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT name, used_bytes FROM projects ORDER BY name";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) projects.Add((r.GetString(0), r.GetInt64(1)));
        }
        var refs = new List<(string, string, long, long)>();
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT project, digest, size, refs FROM quota_refs ORDER BY project, digest";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) refs.Add((r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        }
        return new Usage(projects, refs);
    }

    private static async Task ExecuteAsync(SqliteConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }
}
