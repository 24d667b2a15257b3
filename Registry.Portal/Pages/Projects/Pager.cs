using Microsoft.AspNetCore.WebUtilities;

namespace Registry.Portal.Pages.Projects;

/// <summary>
/// Prev/next links for a list the API pages (<c>page</c>, <c>page_size</c>, <c>X-Total-Count</c>);
/// the links keep the page's other query values (its filters).
/// </summary>
public sealed record Pager(int Page, int PageSize, long Total, string? PreviousUrl, string? NextUrl)
{
    public const int DefaultPageSize = 10;

    public long First => Total == 0 ? 0 : (long)(Page - 1) * PageSize + 1;

    public long Last => Math.Min(Total, (long)Page * PageSize);

    public long Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);

    /// <summary>Page numbers and sizes from the query, kept to what the API accepts.</summary>
    public static (int Page, int PageSize) Clamp(int page, int pageSize) =>
        (Math.Clamp(page, 1, 100_000), pageSize is >= 1 and <= 100 ? pageSize : DefaultPageSize);

    public static Pager For(HttpRequest request, int page, int pageSize, long? total, int itemsOnPage)
    {
        // Without X-Total-Count, a full page may have a next one.
        var known = total ?? ((long)(page - 1) * pageSize + itemsOnPage + (itemsOnPage == pageSize ? 1 : 0));
        return new Pager(page, pageSize, known,
            page > 1 ? With(request, ("page", (page - 1).ToString(System.Globalization.CultureInfo.InvariantCulture))) : null,
            (long)page * pageSize < known ? With(request, ("page", (page + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))) : null);
    }

    /// <summary>The request's URL with some query values replaced (null or empty removes one); never the handler.</summary>
    public static string With(HttpRequest request, params (string Key, string? Value)[] changes)
    {
        var values = request.Query.ToDictionary(q => q.Key, q => (string?)q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        values.Remove("handler");
        foreach (var (key, value) in changes) values[key] = value;
        return QueryHelpers.AddQueryString((request.PathBase + request.Path).ToString(), values.Where(v => !string.IsNullOrEmpty(v.Value)));
    }
}
