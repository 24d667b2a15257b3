using System.Text.Json;
using Registry.Grains.Abstractions;

namespace Registry.Api.Oci;

/// <summary>Tags list and catalog: sorted, keyset-paginated with <c>n</c>/<c>last</c> and a <c>Link</c> to the next page.</summary>
public static class ListingEndpoints
{
    /// <summary>The most entries one page returns, whatever <c>n</c> asks for; memory never follows <c>n</c>.</summary>
    public const int MaxPage = 1000;
    private const int DefaultCatalogPage = 100;

    public static async Task TagsAsync(HttpContext context, OciRoute route, OciServices s)
    {
        if (!TryReadN(context, out var n)) { await OciErrors.WriteAsync(context, OciErrorCode.PaginationNumberInvalid, context.Request.Query["n"]); return; }
        if (!await s.Listings.RepositoryExistsAsync(route.Name, context.RequestAborted)) { await OciErrors.WriteAsync(context, OciErrorCode.NameUnknown, route.Name); return; }
        var last = context.Request.Query["last"].ToString();
        var (page, more) = await PageAsync(n, (limit, ct) => s.Listings.ListTagsAsync(route.Name, last, limit, ct), context.RequestAborted);
        if (more) context.Response.Headers.Link = OciLocations.TagsNext(route.Name, n!.Value, page[^1]);
        await WriteAsync(context, w =>
        {
            w.WriteString("name", route.Name);
            WriteArray(w, "tags", page);
        });
    }

    public static async Task CatalogAsync(HttpContext context, OciServices s)
    {
        if (!TryReadN(context, out var n)) { await OciErrors.WriteAsync(context, OciErrorCode.PaginationNumberInvalid, context.Request.Query["n"]); return; }
        var size = n ?? DefaultCatalogPage;
        var last = context.Request.Query["last"].ToString();
        var (page, more) = await PageAsync(size, (limit, ct) => s.Listings.ListRepositoriesAsync(last, limit, ct), context.RequestAborted);
        if (more) context.Response.Headers.Link = OciLocations.CatalogNext(size, page[^1]);
        await WriteAsync(context, w => WriteArray(w, "repositories", page));
    }

    /// <summary>
    /// Reads one more row than the page holds to know whether a next page exists. With no <c>n</c>
    /// everything is read; any given <c>n</c>, however large, is capped at <see cref="MaxPage"/>.
    /// </summary>
    private static async Task<(IReadOnlyList<string> Page, bool More)> PageAsync(int? n, Func<int, CancellationToken, Task<IReadOnlyList<string>>> query, CancellationToken ct)
    {
        if (n is null) return (await query(int.MaxValue, ct), false);
        if (n == 0) return ([], false);
        var size = Math.Min(n.Value, MaxPage);
        var rows = await query(size + 1, ct);
        return rows.Count > size ? (rows.Take(size).ToList(), true) : (rows, false);
    }

    private static bool TryReadN(HttpContext context, out int? n)
    {
        n = null;
        if (!context.Request.Query.TryGetValue("n", out var value)) return true;
        if (!int.TryParse(value.ToString(), System.Globalization.NumberStyles.None, null, out var parsed)) return false;
        n = parsed;
        return true;
    }

    private static async Task WriteAsync(HttpContext context, Action<Utf8JsonWriter> body)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        body(writer);
        writer.WriteEndObject();
        await writer.FlushAsync();
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IReadOnlyList<string> items)
    {
        writer.WriteStartArray(name);
        foreach (var item in items) writer.WriteStringValue(item);
        writer.WriteEndArray();
    }
}
