using Registry.Grains.Abstractions;

namespace Registry.Grains.Policies;

/// <summary>An artifact as retention sees it.</summary>
public sealed record RetentionCandidate(Digest Digest, IReadOnlyList<string> Tags, DateTimeOffset PushedAt, DateTimeOffset? PulledAt, IReadOnlyList<string> Labels);

/// <summary>
/// Harbor's retention semantics, pure: a repository is processed when some enabled rule's
/// repository selectors select it; each such rule selects artifacts by its tag and label selectors
/// and its template retains some of them; the rules are OR-ed, and what no rule retains goes.
/// </summary>
public static class RetentionEvaluator
{
    public static class Templates
    {
        public const string LatestPushedK = "latestPushedK";
        public const string LatestPulledN = "latestPulledN";
        public const string NDaysSinceLastPush = "nDaysSinceLastPush";
        public const string NDaysSinceLastPull = "nDaysSinceLastPull";
        public const string Always = "always";

        public static readonly IReadOnlyList<string> All = [LatestPushedK, LatestPulledN, NDaysSinceLastPush, NDaysSinceLastPull, Always];
    }

    /// <summary>The enabled rules whose repository selectors all select <paramref name="repository"/> (the name within the project).</summary>
    public static IReadOnlyList<RetentionRule> RulesFor(RetentionPolicy policy, string repository) =>
        [.. (policy.Rules ?? []).Where(r => !r.Disabled && RepositorySelectors(r).All(s => Selects(s, repository)))];

    private static IEnumerable<RetentionSelector> RepositorySelectors(RetentionRule rule) =>
        rule.ScopeSelectors is { } scopes && scopes.TryGetValue("repository", out var list) ? list : [];

    private static bool Selects(RetentionSelector selector, string value) =>
        Doublestar.IsMatch(selector.Pattern ?? "", value) != (selector.Decoration is "repoExcludes" or "excludes");

    /// <summary>The digests retained in one repository, with the rule that retained each first.</summary>
    public static IReadOnlyDictionary<Digest, string> Retained(IReadOnlyList<RetentionRule> rules, IReadOnlyList<RetentionCandidate> candidates, DateTimeOffset now)
    {
        var retained = new Dictionary<Digest, string>();
        foreach (var rule in rules)
        {
            var selected = candidates.Where(c => SelectedBy(rule, c)).ToList();
            foreach (var kept in Apply(rule, selected, now)) retained.TryAdd(kept.Digest, Describe(rule));
        }
        return retained;
    }

    /// <summary>Every tag selector must select the artifact (label selectors by its labels, doublestar ones by its tags, or untagged).</summary>
    public static bool SelectedBy(RetentionRule rule, RetentionCandidate candidate) =>
        (rule.TagSelectors ?? []).All(s => s.Kind switch
        {
            "label" => s.Decoration == "withoutLabels"
                ? !s.LabelNames.All(candidate.Labels.Contains)
                : s.LabelNames.All(candidate.Labels.Contains),
            // matches: some tag matches; excludes: no tag matches (an artifact tagged release-1 and latest is not outside release-*).
            _ => candidate.Tags.Count == 0 ? s.Untagged
                : s.Decoration == "excludes" ? !candidate.Tags.Any(t => Doublestar.IsMatch(s.Pattern ?? "", t))
                : candidate.Tags.Any(t => Doublestar.IsMatch(s.Pattern ?? "", t)),
        });

    private static IEnumerable<RetentionCandidate> Apply(RetentionRule rule, IReadOnlyList<RetentionCandidate> selected, DateTimeOffset now)
    {
        var n = rule.Number ?? 0;
        return rule.Template switch
        {
            Templates.LatestPushedK => selected.OrderByDescending(c => c.PushedAt).ThenBy(c => c.Digest.ToString(), StringComparer.Ordinal).Take(n),
            Templates.LatestPulledN => selected.OrderByDescending(c => c.PulledAt ?? DateTimeOffset.MinValue).ThenByDescending(c => c.PushedAt).Take(n),
            Templates.NDaysSinceLastPush => selected.Where(c => c.PushedAt >= now.AddDays(-n)),
            Templates.NDaysSinceLastPull => selected.Where(c => c.PulledAt is { } pulled && pulled >= now.AddDays(-n)),
            Templates.Always => selected,
            _ => [],
        };
    }

    public static string Describe(RetentionRule rule) => rule.Template switch
    {
        Templates.LatestPushedK => $"the {rule.Number} most recently pushed",
        Templates.LatestPulledN => $"the {rule.Number} most recently pulled",
        Templates.NDaysSinceLastPush => $"pushed within the last {rule.Number} days",
        Templates.NDaysSinceLastPull => $"pulled within the last {rule.Number} days",
        Templates.Always => "always",
        _ => rule.Template ?? "",
    };
}
