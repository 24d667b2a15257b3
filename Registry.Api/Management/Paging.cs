using System.Globalization;
using Registry.Grains.Metadata;

namespace Registry.Api.Management;

/// <summary>
/// Harbor's list conventions: <c>page</c> (from 1), <c>page_size</c> (default 10, at most 100),
/// <c>q</c> filters and <c>sort</c> on a fixed list of fields per endpoint (anything else is a 400),
/// and the <c>X-Total-Count</c> and <c>Link</c> headers on the answer.
/// </summary>
public static class Paging
{
    public const int DefaultPageSize = 10;
    public const int MaxPageSize = 100;

    /// <summary>
    /// A field a list accepts, and how it may be filtered; <paramref name="Alias"/> is another spelling of its key in <c>q</c>;
    /// <paramref name="Intersect"/> takes Harbor's <c>(a b)</c>: every one of the values (artifact labels).
    /// </summary>
    public sealed record Field(string Name, bool Fuzzy = true, bool Range = false, bool Sortable = true, bool Filterable = true, string? Alias = null,
        bool Intersect = false);

    /// <summary>Reads page, page_size, q and sort; fields outside <paramref name="fields"/> are refused.</summary>
    public static ListQuery Parse(HttpContext context, IReadOnlyList<Field> fields, IEnumerable<ListFilter>? extra = null)
    {
        var query = context.Request.Query;
        var page = Number(query["page"], "page", 1, 1, int.MaxValue / MaxPageSize);
        var size = Number(query["page_size"], "page_size", DefaultPageSize, 1, MaxPageSize);
        var filters = ParseQ(query["q"], fields);
        if (extra is not null) filters.AddRange(extra);
        var (sort, descending) = ParseSort(query["sort"], fields);
        return new ListQuery((page - 1) * size, size, filters, sort, descending);
    }

    private static int Number(string? value, string name, int fallback, int min, int max)
    {
        if (string.IsNullOrEmpty(value)) return fallback;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw Harbor.BadRequest($"{name} must be a whole number from {min} to {max}");
        return n;
    }

    /// <summary>
    /// <c>q=k1=v1,k2=~v2,k3=[a~b],k4={v1 v2}</c>: exact, fuzzy, range and any-of, as Harbor's query
    /// language (values may be URL-encoded).
    /// </summary>
    public static List<ListFilter> ParseQ(string? q, IReadOnlyList<Field> fields)
    {
        var filters = new List<ListFilter>();
        if (string.IsNullOrWhiteSpace(q)) return filters;
        foreach (var part in SplitTopLevel(q))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw Harbor.BadRequest($"invalid query '{part}': expected key=value");
            var key = part[..eq].Trim();
            var value = Uri.UnescapeDataString(part[(eq + 1)..].Trim());
            var field = fields.FirstOrDefault(f => (f.Name == key || f.Alias == key) && f.Filterable)
                ?? throw Harbor.BadRequest($"cannot filter on '{key}'; allowed: {string.Join(", ", fields.Where(f => f.Filterable).Select(f => f.Name))}");
            key = field.Name;
            if (value.StartsWith('~'))
            {
                if (!field.Fuzzy) throw Harbor.BadRequest($"'{key}' does not support fuzzy matching");
                filters.Add(new ListFilter(key, FilterKind.Fuzzy, value[1..]));
            }
            else if (value.StartsWith('[') && value.EndsWith(']'))
            {
                if (!field.Range) throw Harbor.BadRequest($"'{key}' does not support ranges");
                var bounds = value[1..^1].Split('~');
                if (bounds.Length != 2) throw Harbor.BadRequest($"invalid range '{value}': expected [from~to]");
                filters.Add(new ListFilter(key, FilterKind.Range, From: Bound(bounds[0]), To: Bound(bounds[1])));
            }
            else if (value.StartsWith('{') && value.EndsWith('}'))
            {
                var values = value[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (values.Length == 0) throw Harbor.BadRequest($"empty list for '{key}'");
                filters.Add(new ListFilter(key, FilterKind.In, Values: values));
            }
            else if (value.StartsWith('(') && value.EndsWith(')') && field.Intersect)
            {
                var values = value[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (values.Length == 0) throw Harbor.BadRequest($"empty list for '{key}'");
                filters.Add(new ListFilter(key, FilterKind.All, Values: values));
            }
            else if (value.StartsWith('(') && value.EndsWith(')'))
            {
                throw Harbor.BadRequest($"'{key}': the (a b) form is not supported; use {{a b}} for any of");
            }
            else
            {
                filters.Add(new ListFilter(key, FilterKind.Exact, value));
            }
        }
        return filters;
    }

    /// <summary>A range bound: a number as is, a time (RFC 3339 or "2006-01-02 15:04:05") as Unix milliseconds; empty is open.</summary>
    private static string? Bound(string text)
    {
        text = text.Trim();
        if (text.Length == 0) return null;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)) return text;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            return time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        throw Harbor.BadRequest($"invalid range bound '{text}'");
    }

    private static IEnumerable<string> SplitTopLevel(string q)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < q.Length; i++)
        {
            switch (q[i])
            {
                case '[' or '{' or '(': depth++; break;
                case ']' or '}' or ')': depth--; break;
                case ',' when depth == 0:
                    if (i > start) yield return q[start..i];
                    start = i + 1;
                    break;
            }
        }
        if (start < q.Length) yield return q[start..];
    }

    /// <summary><c>sort=name</c> or <c>sort=-creation_time</c>; one field.</summary>
    public static (string? Field, bool Descending) ParseSort(string? sort, IReadOnlyList<Field> fields)
    {
        if (string.IsNullOrWhiteSpace(sort)) return (null, false);
        var parts = sort.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 1) throw Harbor.BadRequest("sort takes one field");
        var descending = parts[0].StartsWith('-');
        var name = parts[0].TrimStart('-');
        if (!fields.Any(f => f.Name == name && f.Sortable))
            throw Harbor.BadRequest($"cannot sort by '{name}'; allowed: {string.Join(", ", fields.Where(f => f.Sortable).Select(f => f.Name))}");
        return (name, descending);
    }

    /// <summary>Writes <c>X-Total-Count</c> and the <c>Link</c> header (prev/next) for this page.</summary>
    public static void WriteHeaders(HttpContext context, ListQuery query, long total)
    {
        context.Response.Headers["X-Total-Count"] = total.ToString(CultureInfo.InvariantCulture);
        var page = query.Offset / query.Limit + 1;
        var links = new List<string>();
        if (page > 1) links.Add($"<{PageUrl(context, page - 1, query.Limit)}>; rel=\"prev\"");
        if ((long)page * query.Limit < total) links.Add($"<{PageUrl(context, page + 1, query.Limit)}>; rel=\"next\"");
        if (links.Count > 0) context.Response.Headers.Link = string.Join(" , ", links);
    }

    private static string PageUrl(HttpContext context, int page, int size)
    {
        var parameters = context.Request.Query
            .Where(p => p.Key is not "page" and not "page_size")
            .SelectMany(p => p.Value.Select(v => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(v ?? "")}"))
            .Append($"page={page}").Append($"page_size={size}");
        return $"{context.Request.PathBase}{context.Request.Path}?{string.Join('&', parameters)}";
    }

    /// <summary>Writes the headers and returns the items: the usual end of a list endpoint.</summary>
    public static IReadOnlyList<TOut> Respond<TIn, TOut>(HttpContext context, ListQuery query, Page<TIn> page, Func<TIn, TOut> map)
    {
        WriteHeaders(context, query, page.Total);
        return [.. page.Items.Select(map)];
    }
}
