using Registry.Grains.Policies;

namespace Registry.Grains.Tests;

public sealed class DoublestarTests
{
    [Theory]
    [InlineData("**", "library/a/b", true)]
    [InlineData("*", "nginx", true)]
    [InlineData("*", "team/nginx", false)]
    [InlineData("team/*", "team/nginx", true)]
    [InlineData("team/**", "team/a/b", true)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("v1.?", "v1.2", true)]
    [InlineData("v1.?", "v1.23", false)]
    [InlineData("{latest,stable}", "stable", true)]
    [InlineData("{latest,stable}", "edge", false)]
    [InlineData("release-{1.*,2.{0,1}}", "release-2.1", true)]
    [InlineData("release-{1.*,2.{0,1}}", "release-2.2", false)]
    [InlineData("[a-c]*", "beta", true)]
    [InlineData("[!a-c]*", "beta", false)]
    [InlineData("v1.0", "v1a0", false)]
    [InlineData("Latest", "latest", false)]
    public void MatchesAsHarborsDoublestar(string pattern, string value, bool expected) =>
        Assert.Equal(expected, Doublestar.IsMatch(pattern, value));

    [Theory]
    [InlineData("{a,b")]
    [InlineData("a}")]
    [InlineData("[abc")]
    [InlineData("")]
    public void InvalidPatternsAreInvalidAndMatchNothing(string pattern)
    {
        Assert.False(Doublestar.IsValid(pattern));
        Assert.False(Doublestar.IsMatch(pattern, "a"));
    }

    [Fact]
    public void ExcludingSelectorsSelectWhatThePatternMisses()
    {
        var excludes = new RuleSelector("doublestar", "excludes", "dev-*");
        Assert.True(excludes.Selects("v1"));
        Assert.False(excludes.Selects("dev-1"));
        var untagged = new RuleSelector("doublestar", "matches", "**", Untagged: true);
        Assert.True(untagged.SelectsAnyTag([]));
        Assert.False(new RuleSelector("doublestar", "matches", "**").SelectsAnyTag([]));
    }
}

public sealed class JobScheduleTests
{
    [Fact]
    public void NamedTypesAndCustomCronsGiveTheNextRun()
    {
        var at = new DateTimeOffset(2026, 11, 23, 10, 30, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 11, 0, 0, TimeSpan.Zero), new JobSchedule("Hourly", null).NextAfter(at));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero), new JobSchedule("Daily", null).NextAfter(at));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 30, 15, TimeSpan.Zero), new JobSchedule("Custom", "*/15 * * * * *").NextAfter(at));
        Assert.Null(JobSchedule.None.NextAfter(at));
        Assert.NotNull(new JobSchedule("Custom", "0 0 3 * *").Validate());
        Assert.NotNull(new JobSchedule("Sometimes", null).Validate());
        Assert.Null(new JobSchedule("Custom", "0 0 3 * * *").Validate());
    }
}
