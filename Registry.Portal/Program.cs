using Registry.Portal;

// Content root = the build output, so `dotnet Registry.Portal.dll` finds its settings from any directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddServiceDefaults();
builder.WebHost.UseStaticWebAssets(); // serve wwwroot from a plain build output in any environment
builder.AddRegistryApiClient();
builder.Services.AddRazorPages(options =>
{
    // Everything needs a signed-in user except the home page, sign-in and the error page.
    options.Conventions.AuthorizeFolder("/");
    options.Conventions.AllowAnonymousToPage("/Index");
    options.Conventions.AllowAnonymousToPage("/Error");
    options.Conventions.AllowAnonymousToPage("/Account/Login");
});

var app = builder.Build();

// The error page in every environment, Development included (the AppHost runs the portal in
// Development): a user never sees a stack trace; the log has it, the page its trace id.
// WebApplication puts the developer exception page in front in Development; this handler sits
// inside it and answers first.
app.UseExceptionHandler("/Error");

app.UseSecurityHeaders();
app.MapStaticAssets();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapRazorPages().WithStaticAssets();

app.Run();

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
