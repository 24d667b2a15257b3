using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Registry.Portal.Api;

namespace Registry.Portal.Pages.Account;

/// <summary>Sign-out is a POST with the anti-forgery token (a GET only shows the button).</summary>
public sealed class LogoutModel(Session session) : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await session.SignOutAsync();
        return RedirectToPage("/Account/Login");
    }
}
