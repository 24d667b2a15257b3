using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Registry.Portal.Api;

namespace Registry.Portal.Pages.Account;

[AllowAnonymous]
public sealed class LoginModel(Session session) : PageModel
{
    [BindProperty, Required(ErrorMessage = "Enter your username."), Display(Name = "Username")]
    public string Username { get; set; } = "";

    [BindProperty, Required(ErrorMessage = "Enter your password."), DataType(DataType.Password), Display(Name = "Password")]
    public string Password { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? LocalRedirect(SafeReturnUrl) : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid) return Page();
        var error = await session.SignInAsync(Username, Password, cancellationToken);
        if (error is not null)
        {
            ModelState.AddModelError(string.Empty, error);
            Password = "";
            return Page();
        }
        return LocalRedirect(SafeReturnUrl);
    }

    /// <summary>Only a local path: never an open redirect.</summary>
    private string SafeReturnUrl => ReturnUrl is { Length: > 0 } url && Url.IsLocalUrl(url) ? url : "/projects";
}
