using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Registry.Portal.Api;

namespace Registry.Portal.Pages;

/// <summary>
/// Base of the portal's pages: the API client, the signed-in user, and one way to turn an API
/// failure into a message on the page (or back to sign-in when the session has ended).
/// </summary>
public abstract class PortalPage(RegistryApi api) : PageModel
{
    protected RegistryApi Api { get; } = api;

    /// <summary>A message shown at the top of the next page (after a redirect), e.g. "Project created".</summary>
    [TempData]
    public string? Flash { get; set; }

    public bool IsSysAdmin => User.IsSysAdmin();

    public long? CurrentUserId => User.UserId();

    /// <summary>
    /// For a failed call: sign-in again when the token is no longer accepted, else null after
    /// adding the API's message to the model state (shown next to the form by the validation summary).
    /// </summary>
    protected IActionResult? Failed<T>(ApiResult<T> result, string? field = null)
    {
        if (result.Status == System.Net.HttpStatusCode.Unauthorized)
            return RedirectToPage("/Account/Login", new { returnUrl = Request.Path + Request.QueryString });
        ModelState.AddModelError(field ?? string.Empty, result.Error ?? "the request failed");
        return null;
    }

    /// <summary>For a load that must succeed: 404 page for not found, sign-in for an ended session, else the error page.</summary>
    protected IActionResult LoadFailed<T>(ApiResult<T> result)
    {
        if (result.Status == System.Net.HttpStatusCode.Unauthorized)
            return RedirectToPage("/Account/Login", new { returnUrl = Request.Path + Request.QueryString });
        if (result.Status is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Forbidden) return NotFound();
        ModelState.AddModelError(string.Empty, result.Error ?? "the request failed");
        return Page();
    }
}
