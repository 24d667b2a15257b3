using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Registry.Portal.Pages;

/// <summary>
/// Shown by the exception handler in every environment; gives a trace id, never a stack trace.
/// The handler re-executes the failed request here with its method, so a failed form post is a
/// POST to this page: it has no handler methods and answers every method the same.
/// </summary>
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
[IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    /// <summary>The id that links this page to the logs and traces of the failed request.</summary>
    public string RequestId => Activity.Current?.Id ?? HttpContext.TraceIdentifier;
}
