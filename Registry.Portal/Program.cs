using Registry.Portal;

// Content root = the build output, so `dotnet Registry.Portal.dll` finds its settings from any directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddServiceDefaults();
builder.WebHost.UseStaticWebAssets(); // serve wwwroot from a plain build output in any environment
builder.AddRegistryApiClient();
builder.Services.AddRazorPages();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error");
}

app.UseSecurityHeaders();
app.MapStaticAssets();
app.MapDefaultEndpoints();
app.MapRazorPages().WithStaticAssets();

app.Run();
