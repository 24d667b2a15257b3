using Registry.Grains.Abstractions;

namespace Registry.Grains.Metadata;

/// <summary>A project's quota: its storage limit (-1 unlimited) and usage in bytes, as <c>/quotas</c> lists them (the quota's id is the project's).</summary>
public sealed record QuotaRecord(long ProjectId, string ProjectName, string OwnerName, long Limit, long Used, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Sort keys of the quota list (Harbor's <c>hard.storage</c>, <c>used.storage</c>); otherwise by project id.</summary>
public enum QuotaSort { ProjectId, Hard, Used }

/// <summary>Quotas and immutable tag rules: the governance settings a project carries.</summary>
public interface IGovernanceStore
{
    Task<Page<QuotaRecord>> ListQuotasAsync(long? projectId, QuotaSort sort, bool descending, int offset, int limit, CancellationToken cancellationToken = default);
    Task<QuotaRecord?> GetQuotaAsync(long projectId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ImmutableRule>> ListImmutableRulesAsync(long projectId, CancellationToken cancellationToken = default);
    /// <summary>Adds a rule and returns its id; null when the project already has <paramref name="maxRules"/>.</summary>
    Task<long?> CreateImmutableRuleAsync(long projectId, ImmutableRule rule, int maxRules, CancellationToken cancellationToken = default);
    /// <summary>Replaces the rule (its selectors, priority and disabled flag); false when the project has no such rule.</summary>
    Task<bool> UpdateImmutableRuleAsync(long projectId, ImmutableRule rule, CancellationToken cancellationToken = default);
    Task<bool> DeleteImmutableRuleAsync(long projectId, long ruleId, CancellationToken cancellationToken = default);
}
