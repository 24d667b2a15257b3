using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Registry.Portal.Pages.Projects;

/// <summary><c>/projects/{name}</c>: a project opens on its repositories.</summary>
public sealed class ProjectModel : PageModel
{
    public IActionResult OnGet(string name) => RedirectToPage("/Projects/Repositories", new { name });
}
