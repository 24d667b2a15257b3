using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;

namespace Registry.Portal.Pages.Admin;

/// <summary>
/// Base of the admin pages built around one list: the search text (<c>q</c>) and page
/// (<c>p</c>) live in the URL and are carried through every form and redirect, and a failed
/// action on a row shows its message in that row.
/// </summary>
public abstract class AdminListPage(RegistryApi api) : AdminPage(api)
{
    [BindProperty(SupportsGet = true)]
    public string? Q { get; set; }

    [BindProperty(SupportsGet = true, Name = "p")]
    public int P { get => _page; set => _page = Math.Max(1, value); }

    private int _page = 1;

    /// <summary>How many items the whole list has (X-Total-Count).</summary>
    public long Total { get; protected set; }

    public int PageCount => (int)Math.Max(1, (Total + PageSize - 1) / PageSize);

    /// <summary>The search and page as route values (null when default), so the list comes back the same.</summary>
    public string? QRoute => string.IsNullOrWhiteSpace(Q) ? null : Q.Trim();

    public string? PRoute => P > 1 ? P.ToString(CultureInfo.InvariantCulture) : null;

    public string PageLink(int page) => Url.Page(null, new { q = QRoute, p = page > 1 ? page : (int?)null })!;

    /// <summary>Model-state key of the messages about one row.</summary>
    public static string RowKey(long id) => $"row-{id}";

    /// <summary>Loads the list (and whatever else the page shows) and answers with the page.</summary>
    protected abstract Task<IActionResult> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Whether the row with this id is on the loaded page.</summary>
    protected abstract bool Shows(long id);

    public Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => LoadAsync(cancellationToken);

    /// <summary>After a POST that worked: back to the same list, where the flash message shows.</summary>
    protected IActionResult Back() => RedirectToPage(new { q = QRoute, p = PRoute });

    /// <summary>After a row action failed (its message already added under <see cref="RowKey"/>): the page again.</summary>
    protected async Task<IActionResult> RowFailedAsync(long id, CancellationToken cancellationToken)
    {
        var page = await LoadAsync(cancellationToken);
        ShowAtTopUnless(Shows(id), RowKey(id));
        return page;
    }
}
