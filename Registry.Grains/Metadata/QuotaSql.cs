using System.Data.Common;
using System.Globalization;
using Registry.Grains.Abstractions;
using Registry.Grains.Policies;

namespace Registry.Grains.Metadata;

/// <summary>
/// A push (or a restore) refused because the project's storage would go over its limit. Thrown
/// inside the write transaction, so everything the push wrote is rolled back with it.
/// </summary>
public sealed class QuotaExceededException(long projectId, string project, long adding, long used, long limit)
    : Exception($"adding {QuotaSql.FormatBytes(adding)} of storage resource, which when updated to current usage of {QuotaSql.FormatBytes(used)} will exceed the configured upper limit of {QuotaSql.FormatBytes(limit)}.")
{
    public long ProjectId { get; } = projectId;
    public string Project { get; } = project;
    public long Adding { get; } = adding;
    public long Used { get; } = used;
    public long Limit { get; } = limit;
}

/// <summary>
/// The quota bookkeeping both repository stores (and the recycle bin) run inside their own write
/// transaction: a project's usage is the sum of the sizes of the distinct digests its manifest rows
/// hold (each manifest's own bytes and the blobs it references that are in <c>blobs</c>), kept in
/// <c>quota_refs</c> as a count of holders per digest. Each call first locks the project's row, so
/// concurrent pushes into two repositories of one project are serialized and sharing a blob never
/// charges it twice. SQL uses <c>@name</c> parameters, which both databases accept.
/// </summary>
public static class QuotaSql
{
    /// <summary>Usage at or above this share of the limit raises a QUOTA_WARNING when a push crosses it.</summary>
    public const double WarningRatio = 0.85;

    /// <summary>
    /// Charges a manifest row just inserted in <paramref name="repository"/>: its own
    /// <paramref name="manifestSize"/> bytes and <paramref name="blobs"/>, each only when no other
    /// manifest of the project holds it. Throws <see cref="QuotaExceededException"/> when the
    /// project's limit would be exceeded, and the caller's transaction rolls back; writes a QUOTA_WARNING event when this
    /// charge crosses <see cref="WarningRatio"/> of the limit. Returns the project's new usage.
    /// </summary>
    public static async Task<long> ChargeAsync(DbConnection c, DbTransaction tx, string repository, Digest manifest, long manifestSize,
        IReadOnlyList<(Digest Digest, long Size)> blobs, string? @operator, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var project = RepositoryName.ProjectOf(repository);
        if (await LockAsync(c, tx, project, cancellationToken) is not { } row) return 0;

        var held = new Dictionary<string, long>(StringComparer.Ordinal) { [manifest.ToString()] = manifestSize };
        foreach (var (digest, size) in blobs) held.TryAdd(digest.ToString(), size);

        // Count the holder of each digest; a digest's first holder in the project adds its size. Over
        // the limit, the exception rolls the caller's transaction (these upserts with it) back.
        long adding = 0;
        foreach (var (digest, size) in held)
        {
            var refs = await SqlSession.ScalarAsync(c, tx, """
                INSERT INTO quota_refs (project, digest, size, refs) VALUES (@p, @d, @s, 1)
                ON CONFLICT (project, digest) DO UPDATE SET refs = quota_refs.refs + 1
                RETURNING refs
                """, cancellationToken, ("@p", project), ("@d", digest), ("@s", size));
            if (Convert.ToInt64(refs, CultureInfo.InvariantCulture) == 1) adding += size;
        }
        if (row.Limit >= 0 && adding > 0 && row.Used + adding > row.Limit)
            throw new QuotaExceededException(row.Id, project, adding, row.Used, row.Limit);

        var used = row.Used + adding;
        if (adding != 0)
        {
            await SqlSession.ExecuteAsync(c, tx, "UPDATE projects SET used_bytes = @u WHERE name = @p", cancellationToken, ("@u", used), ("@p", project));
        }
        if (row.Limit > 0 && row.Used < row.Limit * WarningRatio && used >= row.Limit * WarningRatio)
        {
            var warning = new RegistryEvent(EventTypes.QuotaWarning, now, @operator ?? "", row.Id, project, repository, manifest.ToString(),
                Size: adding, Detail: Detail(used, row.Limit));
            await SqlSession.ExecuteAsync(c, tx, IOutbox.Insert, cancellationToken, IOutbox.Parameters(warning));
        }
        return used;
    }

    /// <summary>
    /// Releases what the manifest row (<paramref name="repository"/>, <paramref name="digest"/>)
    /// holds: call it while its <c>manifest_references</c> rows still exist (before deleting or
    /// moving them). Digests no other manifest of the project holds stop counting. Returns the
    /// project's new usage.
    /// </summary>
    public static async Task<long> ReleaseAsync(DbConnection c, DbTransaction tx, string repository, Digest digest, CancellationToken cancellationToken = default)
    {
        var project = RepositoryName.ProjectOf(repository);
        if (await LockAsync(c, tx, project, cancellationToken) is not { } row) return 0;
        var held = await SqlSession.QueryAsync(c, tx, """
            SELECT mr.reference FROM manifest_references mr JOIN blobs b ON b.digest = mr.reference
            WHERE mr.repository = @r AND mr.manifest = @m
            """, r => r.GetString(0), cancellationToken, ("@r", repository), ("@m", digest.ToString()));
        held.Add(digest.ToString());

        long freed = 0;
        foreach (var d in held.Distinct(StringComparer.Ordinal))
        {
            var left = await SqlSession.QuerySingleAsync(c, tx,
                "UPDATE quota_refs SET refs = refs - 1 WHERE project = @p AND digest = @d RETURNING refs, size",
                r => new long[] { r.Long(0), r.Long(1) }, cancellationToken, ("@p", project), ("@d", d));
            if (left is null || left[0] > 0) continue;
            await SqlSession.ExecuteAsync(c, tx, "DELETE FROM quota_refs WHERE project = @p AND digest = @d", cancellationToken, ("@p", project), ("@d", d));
            freed += left[1];
        }
        var used = Math.Max(0, row.Used - freed);
        if (freed != 0)
        {
            await SqlSession.ExecuteAsync(c, tx, "UPDATE projects SET used_bytes = @u WHERE name = @p", cancellationToken, ("@u", used), ("@p", project));
        }
        return used;
    }

    /// <summary>Of <paramref name="references"/>, those that are blobs, with their sizes: what <see cref="ChargeAsync"/> charges besides the manifest.</summary>
    public static async Task<IReadOnlyList<(Digest Digest, long Size)>> BlobSizesAsync(DbConnection c, DbTransaction tx, IEnumerable<Digest> references,
        CancellationToken cancellationToken = default)
    {
        var sizes = new List<(Digest, long)>();
        foreach (var reference in references.Distinct())
        {
            var size = await SqlSession.ScalarAsync(c, tx, "SELECT size FROM blobs WHERE digest = @d", cancellationToken, ("@d", reference.ToString()));
            if (size is not null) sizes.Add((reference, Convert.ToInt64(size, CultureInfo.InvariantCulture)));
        }
        return sizes;
    }

    /// <summary>The project's id (for events), or null when there is no such project.</summary>
    public static async Task<long?> ProjectIdAsync(DbConnection c, DbTransaction tx, string project, CancellationToken cancellationToken = default) =>
        await SqlSession.ScalarAsync(c, tx, "SELECT id FROM projects WHERE name = @p", cancellationToken, ("@p", project)) is { } id
            ? Convert.ToInt64(id, CultureInfo.InvariantCulture) : null;

    /// <summary>The used/limit pair quota events carry in their detail.</summary>
    public static IReadOnlyDictionary<string, string> Detail(long used, long limit) => new Dictionary<string, string>
    {
        ["used"] = used.ToString(CultureInfo.InvariantCulture),
        ["limit"] = limit.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Bytes as Harbor's quota messages show them ("1.5 MiB").</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : value.ToString("0.##", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    private sealed record Locked(long Id, long Used, long Limit);

    // An UPDATE that changes nothing takes the row lock on PostgreSQL (SQLite has one writer anyway).
    private static Task<Locked?> LockAsync(DbConnection c, DbTransaction tx, string project, CancellationToken cancellationToken) =>
        SqlSession.QuerySingleAsync(c, tx, "UPDATE projects SET used_bytes = used_bytes WHERE name = @p RETURNING id, used_bytes, storage_limit",
            r => new Locked(r.Long(0), r.Long(1), r.Long(2)), cancellationToken, ("@p", project));
}
