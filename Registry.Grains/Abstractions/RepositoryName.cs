using System.Text.RegularExpressions;

namespace Registry.Grains.Abstractions;

/// <summary>
/// Name and tag rules from the distribution spec, plus our rule that a repository lives in a
/// project: <c>&lt;project&gt;/&lt;name...&gt;</c>.
/// </summary>
public static partial class RepositoryName
{
    public const int MaxLength = 255;

    [GeneratedRegex(@"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();

    /// <summary>A valid repository name has at least a project and one more component.</summary>
    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength } && name.Contains('/') && NamePattern().IsMatch(name);

    public static bool IsValidTag(string? tag) => tag is not null && TagPattern().IsMatch(tag);

    public static string ProjectOf(string repository) => repository[..repository.IndexOf('/')];
}
