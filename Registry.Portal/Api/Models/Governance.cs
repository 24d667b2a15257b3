namespace Registry.Portal.Api.Models;

/// <summary>Harbor's ImmutableSelector.</summary>
public sealed record ImmutableSelector(string Kind, string Decoration, string Pattern);

/// <summary>Harbor's ImmutableRule, as the API lists and takes it.</summary>
public sealed record ImmutableRule(
    long Id, int Priority, bool Disabled, string? Action, string? Template,
    IReadOnlyList<ImmutableSelector> TagSelectors, Dictionary<string, IReadOnlyList<ImmutableSelector>> ScopeSelectors)
{
    public ImmutableSelector? Repositories => ScopeSelectors.TryGetValue("repository", out var list) ? list.FirstOrDefault() : null;

    public ImmutableSelector? Tags => TagSelectors.FirstOrDefault();

    public static ImmutableRule Create(bool disabled, string repoDecoration, string repoPattern, string tagDecoration, string tagPattern) =>
        new(0, 0, disabled, "immutable", "immutable_template", [new ImmutableSelector("doublestar", tagDecoration, tagPattern)],
            new() { ["repository"] = [new ImmutableSelector("doublestar", repoDecoration, repoPattern)] });

    /// <summary>"matching" / "excluding" as the portal words a decoration.</summary>
    public static string Words(string decoration) => decoration is "repoExcludes" or "excludes" ? "excluding" : "matching";
}

/// <summary>Harbor's Quota (one per project).</summary>
public sealed record Quota(long Id, QuotaRef Ref, QuotaResources Hard, QuotaResources Used)
{
    public int? PercentUsed => Hard.Storage > 0 ? (int)Math.Min(100, Used.Storage * 100 / Hard.Storage) : Hard.Storage == 0 ? 100 : null;
}

public sealed record QuotaRef(long Id, string Name, string OwnerName);

public sealed record QuotaResources(long Storage);
