using Registry.Api.Auth;
using Registry.Api.Hosting;
using Registry.Api.Management;
using Registry.Api.Oci;

try
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

    builder.AddServiceDefaults();
    builder.AddRegistryStorage();
    builder.AddRegistrySilo();
    builder.AddRegistryAuth();
    builder.AddOciApi();
    builder.AddManagementApi();

    var app = builder.Build();

    // An exception no endpoint answered is still an OCI or Harbor error, in Development too.
    app.UseUnhandledErrors();
    app.MapDefaultEndpoints();
    app.MapTokenEndpoints();
    app.MapOciApi();
    app.MapManagementApi();

    app.Run();
    return 0;
}
catch (StartupException e)
{
    // A configuration or backing-service problem: say it in one line, not a stack trace.
    Console.Error.WriteLine($"registry: cannot start: {e.Message}");
    return 3;
}

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
