using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace Registry.Grains.Policies;

/// <summary>
/// Harbor's "doublestar" patterns, as its immutability and retention rules use them:
/// <c>*</c> matches within one path segment, <c>**</c> across segments, <c>?</c> one character
/// other than <c>/</c>, <c>[abc]</c>/<c>[a-z]</c>/<c>[!x]</c> a class and <c>{a,b}</c> alternatives
/// (which may nest). Matching is on the whole value and case-sensitive. Compiled patterns are
/// cached; an invalid pattern matches nothing (and <see cref="IsValid"/> says so, for validation).
/// </summary>
public static class Doublestar
{
    private static readonly ConcurrentDictionary<string, Regex?> Cache = new(StringComparer.Ordinal);

    public static bool IsMatch(string pattern, string value) => Compile(pattern)?.IsMatch(value) ?? false;

    public static bool IsValid(string pattern) => pattern.Length is > 0 and <= 512 && Compile(pattern) is not null;

    private static Regex? Compile(string pattern)
    {
        if (Cache.TryGetValue(pattern, out var cached)) return cached;
        if (Cache.Count > 4096) Cache.Clear();
        Regex? regex = null;
        if (pattern.Length <= 512 && Translate(pattern) is { } source)
            regex = new Regex(source, RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromMilliseconds(100));
        return Cache[pattern] = regex;
    }

    private static string? Translate(string pattern)
    {
        var sb = new StringBuilder("^");
        var braces = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    if (i + 1 < pattern.Length && pattern[i + 1] == '*')
                    {
                        i++;
                        // "**/" also matches nothing at all: "a/**/b" matches "a/b".
                        if (i + 1 < pattern.Length && pattern[i + 1] == '/') { i++; sb.Append("(?:.*/)?"); }
                        else sb.Append(".*");
                    }
                    else sb.Append("[^/]*");
                    break;
                case '?': sb.Append("[^/]"); break;
                case '[':
                    var end = i + 2 <= pattern.Length ? pattern.IndexOf(']', i + 2) : -1;
                    if (end < 0) return null;
                    var body = pattern[(i + 1)..end];
                    var negate = body.StartsWith('!') || body.StartsWith('^');
                    if (negate) body = body[1..];
                    if (body.Length == 0) return null;
                    sb.Append('[').Append(negate ? "^/" : "").Append(Regex.Escape(body).Replace("\\-", "-").Replace("]", "\\]")).Append(']');
                    i = end;
                    break;
                case '{': braces++; sb.Append("(?:"); break;
                case '}':
                    if (braces == 0) return null;
                    braces--; sb.Append(')');
                    break;
                case ',' when braces > 0: sb.Append('|'); break;
                case '\\':
                    if (++i >= pattern.Length) return null;
                    sb.Append(Regex.Escape(pattern[i].ToString()));
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return braces == 0 ? sb.Append('$').ToString() : null;
    }
}

/// <summary>
/// One of Harbor's rule selectors: <c>kind</c> "doublestar", a <c>decoration</c> ("repoMatches",
/// "repoExcludes", "matches", "excludes") and a <c>pattern</c>. An exclude selects what the pattern
/// does not match. <see cref="Untagged"/> (retention's tag selector extra) also selects artifacts
/// without tags.
/// </summary>
[GenerateSerializer, Immutable, Alias("Registry.RuleSelector")]
public sealed record RuleSelector(
    [property: Id(0)] string Kind,
    [property: Id(1)] string Decoration,
    [property: Id(2)] string Pattern,
    [property: Id(3)] bool Untagged = false)
{
    public bool Excludes => Decoration is "repoExcludes" or "excludes";

    public bool Selects(string value) => Doublestar.IsMatch(Pattern, value) != Excludes;

    /// <summary>For a tag selector: whether an artifact with these tags is selected (any tag matching, or no tags when <see cref="Untagged"/>).</summary>
    public bool SelectsAnyTag(IReadOnlyCollection<string> tags) => tags.Count == 0 ? Untagged : tags.Any(Selects);

    public static bool IsValidDecoration(string decoration, bool repository) =>
        repository ? decoration is "repoMatches" or "repoExcludes" : decoration is "matches" or "excludes";
}
