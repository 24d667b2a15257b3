using System.Collections.Immutable;
using System.Data.Common;
using System.Text.Json;
using Registry.Grains.Abstractions;
using Registry.Grains.Policies;

namespace Registry.Grains.Metadata;

/// <summary>Quotas and immutable tag rules, written once for both databases.</summary>
internal sealed class SqlGovernanceStore(SqlSession session, TimeProvider clock) : IGovernanceStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private const string QuotaColumns =
        "p.id, p.name, coalesce(u.username, ''), p.storage_limit, p.used_bytes, p.created_at, p.updated_at FROM projects p LEFT JOIN users u ON u.id = p.owner_id";

    private static QuotaRecord ReadQuota(DbDataReader r) =>
        new(r.Long(0), r.GetString(1), r.GetString(2), r.Long(3), r.Long(4), r.Time(5), r.Time(6));

    public Task<Page<QuotaRecord>> ListQuotasAsync(long? projectId, QuotaSort sort, bool descending, int offset, int limit, CancellationToken cancellationToken = default) =>
        session.ReadAsync(async (c, tx) =>
        {
            var where = projectId is null ? "" : " WHERE p.id = @id";
            var direction = descending ? "DESC" : "ASC";
            // Unlimited (-1) sorts above every limit, as "no limit" is the largest.
            var order = sort switch
            {
                QuotaSort.Hard => $"CASE WHEN p.storage_limit < 0 THEN 1 ELSE 0 END {direction}, p.storage_limit {direction}, p.id {direction}",
                QuotaSort.Used => $"p.used_bytes {direction}, p.id {direction}",
                _ => $"p.id {direction}",
            };
            var total = Convert.ToInt64(await SqlSession.ScalarAsync(c, tx, "SELECT count(*) FROM projects p" + where, cancellationToken, ("@id", projectId)));
            var items = await SqlSession.QueryAsync(c, tx, $"SELECT {QuotaColumns}{where} ORDER BY {order} LIMIT @limit OFFSET @offset",
                ReadQuota, cancellationToken, ("@id", projectId), ("@limit", limit), ("@offset", offset));
            return new Page<QuotaRecord>(items, total);
        }, snapshot: true, cancellationToken);

    public Task<QuotaRecord?> GetQuotaAsync(long projectId, CancellationToken cancellationToken = default) =>
        session.ReadAsync((c, tx) => SqlSession.QuerySingleAsync(c, tx, $"SELECT {QuotaColumns} WHERE p.id = @id", ReadQuota, cancellationToken, ("@id", projectId)),
            snapshot: false, cancellationToken);

    public Task<IReadOnlyList<ImmutableRule>> ListImmutableRulesAsync(long projectId, CancellationToken cancellationToken = default) =>
        session.ReadAsync<IReadOnlyList<ImmutableRule>>(async (c, tx) => await SqlSession.QueryAsync(c, tx,
            "SELECT id, priority, disabled, tag_selectors, scope_selectors FROM immutable_rules WHERE project_id = @p ORDER BY id",
            r => new ImmutableRule(r.Long(0), r.Int(1), r.Bool(2), Selectors(r.GetString(3)), Selectors(r.GetString(4))),
            cancellationToken, ("@p", projectId)), snapshot: false, cancellationToken);

    public Task<long?> CreateImmutableRuleAsync(long projectId, ImmutableRule rule, int maxRules, CancellationToken cancellationToken = default) =>
        session.WriteAsync<long?>(async (c, tx) =>
        {
            // Lock the project's row so that two creates cannot both pass the count.
            await SqlSession.ExecuteAsync(c, tx, "UPDATE projects SET updated_at = updated_at WHERE id = @p", cancellationToken, ("@p", projectId));
            var count = Convert.ToInt64(await SqlSession.ScalarAsync(c, tx, "SELECT count(*) FROM immutable_rules WHERE project_id = @p", cancellationToken, ("@p", projectId)));
            if (count >= maxRules) return null;
            var id = await SqlSession.ScalarAsync(c, tx, """
                INSERT INTO immutable_rules (project_id, priority, disabled, tag_selectors, scope_selectors, created_at)
                VALUES (@p, @priority, @disabled, @tags, @scopes, @now) RETURNING id
                """, cancellationToken, ("@p", projectId), ("@priority", rule.Priority), ("@disabled", rule.Disabled),
                ("@tags", JsonSerializer.Serialize(rule.TagSelectors, Json)), ("@scopes", JsonSerializer.Serialize(rule.ScopeSelectors, Json)),
                ("@now", clock.GetUtcNow().ToUnixTimeMilliseconds()));
            return Convert.ToInt64(id);
        }, cancellationToken);

    public Task<bool> UpdateImmutableRuleAsync(long projectId, ImmutableRule rule, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => await SqlSession.ExecuteAsync(c, tx, """
            UPDATE immutable_rules SET priority = @priority, disabled = @disabled, tag_selectors = @tags, scope_selectors = @scopes
            WHERE id = @id AND project_id = @p
            """, cancellationToken, ("@p", projectId), ("@id", rule.Id), ("@priority", rule.Priority), ("@disabled", rule.Disabled),
            ("@tags", JsonSerializer.Serialize(rule.TagSelectors, Json)), ("@scopes", JsonSerializer.Serialize(rule.ScopeSelectors, Json))) > 0,
            cancellationToken);

    public Task<bool> DeleteImmutableRuleAsync(long projectId, long ruleId, CancellationToken cancellationToken = default) =>
        session.WriteAsync(async (c, tx) => await SqlSession.ExecuteAsync(c, tx, "DELETE FROM immutable_rules WHERE id = @id AND project_id = @p",
            cancellationToken, ("@p", projectId), ("@id", ruleId)) > 0, cancellationToken);

    private static ImmutableArray<RuleSelector> Selectors(string json) =>
        JsonSerializer.Deserialize<ImmutableArray<RuleSelector>>(json, Json);
}
