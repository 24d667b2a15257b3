using System.Collections.Immutable;
using Registry.Grains.Policies;

namespace Registry.Grains.Abstractions;

/// <summary>
/// One of a project's immutable tag rules (Harbor's ImmutableRule): a tag a rule protects can be
/// pushed once and never moved to another digest or deleted. A rule protects a tag when it is
/// enabled, every repository selector selects the repository (its name without the project) and
/// every tag selector selects the tag.
/// </summary>
[GenerateSerializer, Immutable, Alias("Registry.ImmutableRule")]
public sealed record ImmutableRule(
    [property: Id(0)] long Id,
    [property: Id(1)] int Priority,
    [property: Id(2)] bool Disabled,
    [property: Id(3)] ImmutableArray<RuleSelector> TagSelectors,
    [property: Id(4)] ImmutableArray<RuleSelector> ScopeSelectors)
{
    public bool Protects(string repository, string tag)
    {
        if (Disabled) return false;
        var path = repository.IndexOf('/') is var slash and >= 0 ? repository[(slash + 1)..] : repository;
        return ScopeSelectors.All(s => s.Selects(path)) && TagSelectors.All(s => s.Selects(tag));
    }

    /// <summary>How a refusal names the rule.</summary>
    public string Describe() =>
        $"rule {Id} (repositories {string.Join(" and ", ScopeSelectors.Select(s => $"{s.Decoration} {s.Pattern}"))}, tags {string.Join(" and ", TagSelectors.Select(s => $"{s.Decoration} {s.Pattern}"))})";
}

/// <summary>
/// A change refused because it would move or delete a tag an immutable rule protects. Thrown by
/// <see cref="IRepositoryGrain"/> deletes (pushes return <see cref="OciErrorCode.Denied"/> instead);
/// the OCI API answers DENIED 403, the management API 412 as Harbor does.
/// </summary>
[GenerateSerializer, Alias("Registry.ImmutableTagException")]
public sealed class ImmutableTagException : Exception
{
    public ImmutableTagException(string message) : base(message) { }
}
