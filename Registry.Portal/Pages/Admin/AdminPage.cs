using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Registry.Portal.Api;

namespace Registry.Portal.Pages.Admin;

/// <summary>
/// Base of the administration pages. Only system admins get past it: anyone else gets a 403 page
/// before any handler runs (the API would refuse them anyway, but the page should not pretend).
/// </summary>
public abstract class AdminPage(RegistryApi api) : PortalPage(api)
{
    /// <summary>Page size of the admin lists.</summary>
    public const int PageSize = 15;

    /// <summary>Model-state key of a failure to load the page's data (shown at the top, not inside a form).</summary>
    public const string LoadKey = "load";

    public override void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        if (User.IsSysAdmin()) return;
        context.Result = new ViewResult
        {
            ViewName = "_AdminOnly",
            StatusCode = StatusCodes.Status403Forbidden,
            ViewData = new ViewDataDictionary(ViewData) { ["Title"] = "Not allowed" },
        };
    }

    /// <summary>The errors of one model-state key (e.g. one table row's), for showing next to it.</summary>
    public IEnumerable<string> ErrorsFor(string key) =>
        ModelState.TryGetValue(key, out var entry) ? entry.Errors.Select(e => e.ErrorMessage) : [];

    /// <summary>
    /// Moves the errors of <paramref name="key"/> to the top of the page when what they belong to
    /// is not shown (a row deleted meanwhile or on another page of the list, a hidden form), so no
    /// message is lost.
    /// </summary>
    protected void ShowAtTopUnless(bool shownInPlace, string key)
    {
        if (shownInPlace || !ModelState.TryGetValue(key, out var entry)) return;
        foreach (var error in entry.Errors.ToList()) ModelState.AddModelError(LoadKey, error.ErrorMessage);
        ModelState.Remove(key);
    }

    /// <summary>A Harbor <c>q</c> parameter value: each filter's value escaped, then the whole query escaped for the URL.</summary>
    protected static string Query(params (string Key, string Value)[] filters) =>
        Uri.EscapeDataString(string.Join(',', filters.Select(f => $"{f.Key}={Uri.EscapeDataString(f.Value)}")));

    /// <summary>Never keep a page that shows a secret in any cache.</summary>
    protected void NoStore() => Response.Headers.CacheControl = "no-store";
}
