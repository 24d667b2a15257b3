using System.Text.Json;
using Registry.Grains.Abstractions;
using Registry.Grains.Policies;

namespace Registry.Grains.Tests;

/// <summary>Harbor's retention rules, evaluated without a registry.</summary>
public sealed class RetentionEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static RetentionCandidate Artifact(string name, int pushedDaysAgo, int? pulledDaysAgo = null, string[]? tags = null, string[]? labels = null) =>
        new(Digest.Compute(System.Text.Encoding.UTF8.GetBytes(name)), tags ?? [name], Now.AddDays(-pushedDaysAgo),
            pulledDaysAgo is { } p ? Now.AddDays(-p) : null, labels ?? []);

    private static RetentionRule Rule(string template, int? n = null, string tags = "**", bool untagged = false, string repos = "**",
        RetentionSelector? extra = null, bool disabled = false, string repoDecoration = "repoMatches", string tagDecoration = "matches") =>
        new(0, 0, disabled, "retain", template,
            n is { } v ? new Dictionary<string, JsonElement> { [template] = JsonSerializer.SerializeToElement(v) } : null,
            [new RetentionSelector("doublestar", tagDecoration, tags, untagged ? "{\"untagged\":true}" : null), .. extra is null ? [] : new[] { extra }],
            new Dictionary<string, IReadOnlyList<RetentionSelector>> { ["repository"] = [new("doublestar", repoDecoration, repos, null)] });

    private static string[] Kept(IReadOnlyList<RetentionRule> rules, params RetentionCandidate[] candidates)
    {
        var kept = RetentionEvaluator.Retained(rules, candidates, Now);
        return [.. candidates.Where(c => kept.ContainsKey(c.Digest)).Select(c => c.Tags.FirstOrDefault() ?? "<untagged>")];
    }

    [Fact]
    public void EachTemplateRetainsWhatHarborsDoes()
    {
        var a = Artifact("a", 30, 1);
        var b = Artifact("b", 20, 10);
        var c = Artifact("c", 5);
        var d = Artifact("d", 1, 3);
        Assert.Equal(["c", "d"], Kept([Rule("latestPushedK", 2)], a, b, c, d));
        Assert.Equal(["a", "d"], Kept([Rule("latestPulledN", 2)], a, b, c, d));
        Assert.Equal(["c", "d"], Kept([Rule("nDaysSinceLastPush", 7)], a, b, c, d));
        Assert.Equal(["a", "d"], Kept([Rule("nDaysSinceLastPull", 5)], a, b, c, d));
        Assert.Equal(["a", "b", "c", "d"], Kept([Rule("always")], a, b, c, d));
        Assert.Empty(Kept([Rule("latestPushedK", 0)], a, b, c, d));
        // OR-ed: the newest, plus anything pulled within 5 days.
        Assert.Equal(["a", "d"], Kept([Rule("latestPushedK", 1), Rule("nDaysSinceLastPull", 5)], a, b, c, d));
    }

    [Fact]
    public void TagSelectorsMatchAnyTagAndTakeUntaggedOnlyWhenAsked()
    {
        var release = Artifact("r", 1, tags: ["latest", "release-1"]);
        var dev = Artifact("d", 1, tags: ["dev-1"]);
        var loose = Artifact("u", 1, tags: []);
        Assert.Equal(["latest"], Kept([Rule("always", tags: "release-*")], release, dev, loose));
        Assert.Equal(["dev-1"], Kept([Rule("always", tags: "release-*", tagDecoration: "excludes")], release, dev, loose));
        Assert.Equal(["latest", "<untagged>"], Kept([Rule("always", tags: "release-*", untagged: true)], release, dev, loose));
        Assert.Equal(["latest", "dev-1"], Kept([Rule("always", tags: "{release,dev}-*")], release, dev, loose));
    }

    [Fact]
    public void LabelSelectorsNeedEveryLabelOrItsAbsence()
    {
        var both = Artifact("both", 1, labels: ["prod", "eu"]);
        var one = Artifact("one", 1, labels: ["prod"]);
        var none = Artifact("none", 1);
        Assert.Equal(["both"], Kept([Rule("always", extra: new("label", "withLabels", "prod,eu", null))], both, one, none));
        Assert.Equal(["both", "one"], Kept([Rule("always", extra: new("label", "withLabels", "prod", null))], both, one, none));
        Assert.Equal(["one", "none"], Kept([Rule("always", extra: new("label", "withoutLabels", "prod, eu", null))], both, one, none));
    }

    [Fact]
    public void RulesApplyToTheRepositoriesTheirSelectorsChooseAndDisabledRulesToNone()
    {
        var policy = new RetentionPolicy(1, "or",
            [Rule("always", repos: "team/**"), Rule("latestPushedK", 1, repos: "cache", repoDecoration: "repoExcludes"), Rule("always", disabled: true)],
            null, new RetentionScope("project", 1));
        Assert.Equal(2, RetentionEvaluator.RulesFor(policy, "team/app").Count);
        Assert.Empty(RetentionEvaluator.RulesFor(policy, "cache"));
        Assert.Single(RetentionEvaluator.RulesFor(policy, "web"));
    }

    [Fact]
    public void APolicyRoundTripsThroughHarborsJson()
    {
        var json = """
            {"algorithm":"or","rules":[{"id":1,"priority":0,"disabled":false,"action":"retain","template":"latestPushedK","params":{"latestPushedK":"3"},
            "tag_selectors":[{"kind":"doublestar","decoration":"matches","pattern":"**","extras":"{\"untagged\":true}"}],
            "scope_selectors":{"repository":[{"kind":"doublestar","decoration":"repoMatches","pattern":"**"}]}}],
            "trigger":{"kind":"Schedule","settings":{"cron":"0 0 3 * * *"},"references":{}},"scope":{"level":"project","ref":5}}
            """;
        var policy = RetentionPolicy.FromJson(json);
        Assert.Equal(3, policy.Rules![0].Number);
        Assert.True(policy.Rules[0].TagSelectors![0].Untagged);
        Assert.Equal("0 0 3 * * *", policy.Cron);
        Assert.Equal(5, policy.Scope!.Ref);
        var again = RetentionPolicy.FromJson(policy.ToJson());
        Assert.Equal("0 0 3 * * *", again.Cron);
        Assert.DoesNotContain("\"number\"", policy.ToJson());
        Assert.DoesNotContain("\"cron\":null", policy.ToJson());
    }
}
