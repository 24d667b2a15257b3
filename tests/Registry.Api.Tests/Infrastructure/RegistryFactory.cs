using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Registry.Api.Tests;

/// <summary>
/// The real registry on a TestServer with its own data path, admin password and Orleans ports,
/// so test classes never share state. One instance per test class (<c>IClassFixture</c>).
/// </summary>
public sealed class RegistryFactory : WebApplicationFactory<Program>
{
    public const string AdminUser = "admin";

    public string DataPath { get; } = Directory.CreateTempSubdirectory("registry-api-test-").FullName;

    public string AdminPassword { get; } = "pw-" + Guid.NewGuid().ToString("N");

    /// <summary>Admin (Basic auth) client.</summary>
    public OciClient Admin => field ??= new OciClient(CreateClientWith(Basic(AdminUser, AdminPassword)));

    /// <summary>Client without credentials.</summary>
    public OciClient Anonymous => field ??= new OciClient(CreateClientWith(null));

    /// <summary>More host configuration (settings, replaced services), applied after the defaults above.</summary>
    public Action<IWebHostBuilder>? Customize { get; init; }

    /// <summary>The management API as the admin, as an anonymous caller, or as anyone.</summary>
    public HarborApi AdminApi => field ??= new HarborApi(Admin);

    public HarborApi AnonymousApi => field ??= new HarborApi(Anonymous);

    public HarborApi Api(string user, string password) => new(WithBasic(user, password));

    public OciClient WithBearer(string token) => new(CreateClientWith(new AuthenticationHeaderValue("Bearer", token)));

    public OciClient WithBasic(string user, string password) => new(CreateClientWith(Basic(user, password)));

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Registry:DataPath", DataPath);
        builder.UseSetting("Registry:AdminPassword", AdminPassword);
        builder.UseSetting("Orleans:Endpoints:SiloPort", FreePort().ToString());
        builder.UseSetting("Orleans:Endpoints:GatewayPort", FreePort().ToString());
        builder.UseSetting("Orleans:ServiceId", "registry-test-" + Guid.NewGuid().ToString("N"));
        Customize?.Invoke(builder);
    }

    private HttpClient CreateClientWith(AuthenticationHeaderValue? authorization)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = authorization;
        return client;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try { Directory.Delete(DataPath, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
