using System.Collections.Immutable;
using System.Data.Common;
using System.Text.Json;
using Registry.Grains.Abstractions;
using static Registry.Grains.Metadata.SqlSession;

namespace Registry.Grains.Metadata;

/// <summary>
/// <see cref="IArtifactQueries"/> on either metadata database, over the tables the repository
/// stores write. An artifact is a manifest that no other manifest of its repository references (a
/// manifest an index references is that index's child, shown with it rather than on its own).
/// </summary>
internal sealed class SqlArtifactQueries(SqlSession session) : IArtifactQueries
{
    /// <summary>Whether the manifest <c>m</c> is referenced by another manifest of its repository (is an index's child).</summary>
    private const string IsChild = """
        EXISTS (SELECT 1 FROM manifest_references pr
                WHERE pr.repository = m.repository AND pr.reference = m.digest AND pr.manifest <> m.digest)
        """;

    /// <summary>The bytes of the blobs manifest <c>{0}</c> references (its references that are not manifests of the repository).</summary>
    private const string BlobBytesOf = """
        coalesce((SELECT sum(b.size) FROM manifest_references br JOIN blobs b ON b.digest = br.reference
                  WHERE br.repository = {0}.repository AND br.manifest = {0}.digest
                    AND NOT EXISTS (SELECT 1 FROM manifests bm WHERE bm.repository = br.repository AND bm.digest = br.reference)), 0)
        """;

    // ---- repositories ----

    private static readonly string RepositoryColumns = $"""
        r.name, r.project, r.description, r.pull_count, r.created_at, r.updated_at,
        (SELECT count(*) FROM manifests m WHERE m.repository = r.name AND NOT {IsChild})
        """;

    private static RepositoryRecord ReadRepository(DbDataReader r)
    {
        var name = r.GetString(0);
        return new RepositoryRecord(StableIds.Of(name), name, r.GetString(1), r.GetString(2), r.Long(6), r.Long(3), r.Time(4), r.Time(5));
    }

    private static readonly ListSpec RepositoryList = new(
        new Dictionary<string, ListSpec.FilterBuilder> { ["name"] = ListSpec.Text("r.name") },
        new Dictionary<string, string>
        {
            ["name"] = "r.name", ["creation_time"] = "r.created_at", ["update_time"] = "r.updated_at", ["pull_count"] = "r.pull_count",
        },
        "r.name ASC", "r.name");

    public Task<Page<RepositoryRecord>> ListRepositoriesAsync(ListQuery query, IReadOnlyCollection<string>? projects, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) =>
        {
            var sql = new SqlConditions();
            if (projects is not null)
            {
                sql.Where(projects.Count == 0 ? "1 = 0" : $"r.project IN ({string.Join(", ", projects.Select(p => sql.Parameter(p)))})");
            }
            return RepositoryList.PageAsync(c, tx, session, query, RepositoryColumns, "repositories r", sql, ReadRepository, cancellationToken);
        }, snapshot: true, cancellationToken);

    public Task<RepositoryRecord?> GetRepositoryAsync(string name, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => QuerySingleAsync(c, tx, $"SELECT {RepositoryColumns} FROM repositories r WHERE r.name = @n",
            ReadRepository, cancellationToken, ("@n", name)), snapshot: false, cancellationToken);

    public Task<bool> SetRepositoryDescriptionAsync(string name, string description, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => await ExecuteAsync(c, tx, "UPDATE repositories SET description = @d WHERE name = @n",
            cancellationToken, ("@d", description), ("@n", name)) > 0, cancellationToken);

    public Task<long> CountRepositoriesAsync(string project, CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) => Convert.ToInt64(await ScalarAsync(c, tx, "SELECT count(*) FROM repositories WHERE project = @p",
            cancellationToken, ("@p", project))), snapshot: false, cancellationToken);

    // ---- artifacts ----

    private static readonly string ArtifactColumns =
        $"m.digest, m.media_type, m.artifact_type, m.size + {string.Format(BlobBytesOf, "m")}, m.subject, m.annotations, m.created_at, m.pulled_at";

    /// <summary>An artifact row before its tags and children are added.</summary>
    private sealed record ArtifactRow(Digest Digest, string MediaType, string? ArtifactType, long Size, Digest? Subject,
        ImmutableDictionary<string, string>? Annotations, DateTimeOffset PushedAt, DateTimeOffset? PulledAt);

    private static ArtifactRow ReadArtifact(DbDataReader r) => new(
        Digest.Parse(r.GetString(0)), r.GetString(1), r.NullableString(2), r.Long(3),
        r.NullableString(4) is { } subject ? Digest.Parse(subject) : null,
        r.NullableString(5) is { } annotations ? JsonSerializer.Deserialize<ImmutableDictionary<string, string>>(annotations) : null,
        r.Time(6), r.NullableTime(7));

    private const string TagOf = "SELECT 1 FROM tags t WHERE t.repository = m.repository AND t.digest = m.digest";

    private static readonly ListSpec ArtifactList = new(
        new Dictionary<string, ListSpec.FilterBuilder>
        {
            ["digest"] = ListSpec.Text("m.digest"),
            ["tags"] = TagsFilter,
            ["media_type"] = ListSpec.Text("m.media_type"),
            ["artifact_type"] = ListSpec.Text("m.artifact_type"),
            ["labels"] = LabelsFilter,
        },
        new Dictionary<string, string> { ["push_time"] = "m.created_at", ["pull_time"] = "coalesce(m.pulled_at, 0)", ["digest"] = "m.digest" },
        "m.created_at DESC, m.digest DESC", "m.digest");

    /// <summary><c>tags=nil</c>: untagged; <c>tags=x</c>: tagged x; <c>tags=~x</c>: a tag containing x; in: any of the tags.</summary>
    private static string TagsFilter(ListFilter filter, SqlConditions sql, SqlSession session) => filter.Kind switch
    {
        FilterKind.Exact when filter.Value == "nil" => $"NOT EXISTS ({TagOf})",
        FilterKind.Exact => $"EXISTS ({TagOf} AND t.name = {sql.Parameter(ListSpec.Required(filter))})",
        FilterKind.Fuzzy => $"EXISTS ({TagOf} AND {ListSpec.Contains("t.name", ListSpec.Required(filter), sql, session)})",
        FilterKind.In => $"EXISTS ({TagOf} AND {ListSpec.AnyOf("t.name", filter, sql, v => v)})",
        _ => throw ListSpec.Unsupported(filter),
    };

    private const string LabelOf = "SELECT 1 FROM artifact_labels al WHERE al.repository = m.repository AND al.digest = m.digest";

    /// <summary><c>labels=1</c>: carries label 1; <c>labels={1 2}</c>: either; <c>labels=(1 2)</c>: both.</summary>
    private static string LabelsFilter(ListFilter filter, SqlConditions sql, SqlSession session) => filter.Kind switch
    {
        FilterKind.Exact => $"EXISTS ({LabelOf} AND al.label_id = {sql.Parameter(ListSpec.ParseLong(ListSpec.Required(filter)))})",
        FilterKind.In => $"EXISTS ({LabelOf} AND {ListSpec.AnyOf("al.label_id", filter, sql, ListSpec.ParseLong)})",
        FilterKind.All => (filter.Values ?? []).Count == 0 ? "1 = 1"
            : string.Join(" AND ", filter.Values!.Select(v => $"EXISTS ({LabelOf} AND al.label_id = {sql.Parameter(ListSpec.ParseLong(v))})")),
        _ => throw ListSpec.Unsupported(filter),
    };

    public Task<Page<ArtifactRecord>> ListArtifactsAsync(string repository, ListQuery query, CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) =>
        {
            var sql = new SqlConditions();
            sql.Where($"m.repository = {sql.Parameter(repository)}").Where($"NOT {IsChild}");
            var page = await ArtifactList.PageAsync(c, tx, session, query, ArtifactColumns, "manifests m", sql, ReadArtifact, cancellationToken);
            return new Page<ArtifactRecord>(await CompleteAsync(c, tx, repository, page.Items, cancellationToken), page.Total);
        }, snapshot: true, cancellationToken);

    /// <summary>Any manifest of the repository, an index's child too.</summary>
    public Task<ArtifactRecord?> GetArtifactAsync(string repository, Digest digest, CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) =>
        {
            var row = await QuerySingleAsync(c, tx, $"SELECT {ArtifactColumns} FROM manifests m WHERE m.repository = @r AND m.digest = @d",
                ReadArtifact, cancellationToken, ("@r", repository), ("@d", digest.ToString()));
            return row is null ? null : (await CompleteAsync(c, tx, repository, [row], cancellationToken))[0];
        }, snapshot: true, cancellationToken);

    /// <summary>Adds to each row its tags (by name) and its children (by digest), whose sizes count in its own.</summary>
    private static async Task<IReadOnlyList<ArtifactRecord>> CompleteAsync(DbConnection c, DbTransaction? tx, string repository,
        IReadOnlyList<ArtifactRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return [];
        var digests = new SqlConditions();
        var repositoryParameter = digests.Parameter(repository);
        var inList = string.Join(", ", rows.Select(row => digests.Parameter(row.Digest.ToString())));

        var tags = (await QueryAsync(c, tx,
                $"SELECT digest, name, updated_at, pulled_at FROM tags WHERE repository = {repositoryParameter} AND digest IN ({inList}) ORDER BY name",
                r => (Digest: r.GetString(0), Tag: new TagRecord(r.GetString(1), r.Time(2), r.NullableTime(3))), cancellationToken, digests.Parameters))
            .ToLookup(x => x.Digest, x => x.Tag);

        var children = (await QueryAsync(c, tx, $"""
                SELECT cr.manifest, m.digest, m.size + {string.Format(BlobBytesOf, "m")}
                FROM manifest_references cr JOIN manifests m ON m.repository = cr.repository AND m.digest = cr.reference
                WHERE cr.repository = {repositoryParameter} AND cr.manifest IN ({inList}) AND cr.reference <> cr.manifest
                ORDER BY m.digest
                """, r => (Parent: r.GetString(0), Child: Digest.Parse(r.GetString(1)), Size: r.Long(2)), cancellationToken, digests.Parameters))
            .ToLookup(x => x.Parent);

        var labels = (await QueryAsync(c, tx, $"""
                SELECT al.digest, l.id, l.name, l.description, l.color, l.scope, l.project_id, l.created_at, l.updated_at
                FROM artifact_labels al JOIN labels l ON l.id = al.label_id
                WHERE al.repository = {repositoryParameter} AND al.digest IN ({inList})
                ORDER BY l.name, l.id
                """, r => (Digest: r.GetString(0), Label: SqlLabelStore.Read(r, 1)), cancellationToken, digests.Parameters))
            .ToLookup(x => x.Digest, x => x.Label);

        return rows.Select(row =>
        {
            var key = row.Digest.ToString();
            var own = children[key].ToList();
            return new ArtifactRecord(StableIds.Of(repository + "@" + key), repository, row.Digest, row.MediaType, row.ArtifactType,
                row.Size + own.Sum(x => x.Size), row.Subject, row.Annotations, row.PushedAt, row.PulledAt,
                tags[key].ToList(), own.Select(x => x.Child).ToList(), labels[key].ToList());
        }).ToList();
    }

    // ---- pulls, storage, statistics ----

    public Task RecordPullsAsync(IReadOnlyList<PullRecord> pulls, CancellationToken cancellationToken = default)
    {
        if (pulls.Count == 0) return Task.CompletedTask;
        // One statement per manifest, tag and repository, however many pulls of each the batch holds.
        var manifests = pulls.GroupBy(p => (p.Repository, Digest: p.Digest.ToString())).Select(g => (g.Key, At: g.Max(p => p.At))).ToList();
        var tags = pulls.Where(p => p.Tag is not null).GroupBy(p => (p.Repository, Digest: p.Digest.ToString(), Tag: p.Tag!))
            .Select(g => (g.Key, At: g.Max(p => p.At))).ToList();
        var repositories = pulls.GroupBy(p => p.Repository).Select(g => (Repository: g.Key, Count: g.Sum(p => (long)p.Count))).ToList();
        return session.WriteAsync(async (c, tx) =>
        {
            foreach (var (key, at) in manifests)
            {
                await ExecuteAsync(c, tx, """
                    UPDATE manifests SET pulled_at = CASE WHEN pulled_at IS NULL OR pulled_at < @t THEN @t ELSE pulled_at END
                    WHERE repository = @r AND digest = @d
                    """, cancellationToken, ("@t", at.ToUnixTimeMilliseconds()), ("@r", key.Repository), ("@d", key.Digest));
            }
            foreach (var (key, at) in tags)
            {
                // Only while the tag still names the pulled manifest.
                await ExecuteAsync(c, tx, """
                    UPDATE tags SET pulled_at = CASE WHEN pulled_at IS NULL OR pulled_at < @t THEN @t ELSE pulled_at END
                    WHERE repository = @r AND name = @n AND digest = @d
                    """, cancellationToken, ("@t", at.ToUnixTimeMilliseconds()), ("@r", key.Repository), ("@n", key.Tag), ("@d", key.Digest));
            }
            foreach (var (repository, count) in repositories)
            {
                await ExecuteAsync(c, tx, "UPDATE repositories SET pull_count = pull_count + @c WHERE name = @r",
                    cancellationToken, ("@c", count), ("@r", repository));
            }
            return 0;
        }, cancellationToken);
    }

    /// <summary>
    /// Blobs are counted once however many of the project's repositories link them; linked blobs of a
    /// repository with no manifest yet (no <c>repositories</c> row) count too, found by the name's project prefix.
    /// </summary>
    public Task<long> ProjectStorageAsync(string project, CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) =>
        {
            var prefix = project + "/";
            var blobs = await ScalarAsync(c, tx, """
                SELECT sum(size) FROM (SELECT max(rb.size) AS size FROM repository_blobs rb
                                       WHERE substr(rb.repository, 1, @len) = @prefix GROUP BY rb.digest) d
                """, cancellationToken, ("@len", prefix.Length), ("@prefix", prefix));
            var manifests = await ScalarAsync(c, tx, "SELECT sum(m.size) FROM manifests m JOIN repositories r ON r.name = m.repository WHERE r.project = @p",
                cancellationToken, ("@p", project));
            return Convert.ToInt64(blobs ?? 0L) + Convert.ToInt64(manifests ?? 0L);
        }, snapshot: true, cancellationToken);

    public Task<RegistryStatistics> StatisticsAsync(CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) =>
        {
            var row = await QuerySingleAsync(c, tx, """
                SELECT (SELECT count(*) FROM projects WHERE public = @no),
                       (SELECT count(*) FROM projects WHERE public = @yes),
                       (SELECT count(*) FROM repositories r JOIN projects p ON p.name = r.project WHERE p.public = @no),
                       (SELECT count(*) FROM repositories r JOIN projects p ON p.name = r.project WHERE p.public = @yes),
                       (SELECT coalesce(sum(size), 0) FROM blobs)
                """, r => new RegistryStatistics(r.Long(0), r.Long(1), r.Long(2), r.Long(3), r.Long(4)), cancellationToken, ("@no", false), ("@yes", true));
            return row!;
        }, snapshot: false, cancellationToken);
}
