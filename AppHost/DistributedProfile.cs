using Registry.AppHost.Local;

namespace Registry.AppHost;

/// <summary>
/// The distributed profile on one machine: PostgreSQL, Redis and Azurite from the installed
/// binaries (data under the data path), two API nodes forming one Orleans cluster over Redis, and
/// the portal. Every service gets exactly the connection strings and Orleans keys an Aspire
/// AppHost would inject.
/// </summary>
internal static class DistributedProfile
{
    public const int Nodes = 2;

    public static async Task<(List<Resource> Resources, List<LocalServer> Backing)?> TryCreateAsync(
        AppHostOptions options, BuildOutputs builds, ConsoleOutput output, CancellationToken cancellationToken)
    {
        var dataPath = Path.GetFullPath(options.DataPath
            ?? Environment.GetEnvironmentVariable("Registry__DataPath") ?? ".data-distributed");
        List<LocalServer> backing =
        [
            new LocalPostgres(Path.Combine(dataPath, "postgres"), options.PostgresPort),
            new LocalRedis(Path.Combine(dataPath, "redis"), options.RedisPort),
            new LocalAzurite(Path.Combine(dataPath, "azurite"), options.AzuritePort),
        ];

        try
        {
            for (var i = 0; i < backing.Count; i++)
            {
                var server = backing[i];
                var color = ConsoleOutput.PrefixColor(10 + i);
                server.OnOutput = (line, isError) => output.Child(server.Name, color, line, isError);
                output.Info($"starting {server.Name} on 127.0.0.1:{server.Port} (data {server.DataDirectory})");
                await server.StartAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is MissingServerException or InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            output.Error(e.Message);
            foreach (var server in backing)
            {
                await server.StopAsync();
            }

            return null;
        }

        var connections = new Dictionary<string, string>
        {
            ["ConnectionStrings__registrydb"] = backing[0].ConnectionString,
            ["ConnectionStrings__redis"] = backing[1].ConnectionString,
            ["ConnectionStrings__blobs"] = backing[2].ConnectionString,
        };

        var resources = new List<Resource>();
        var firstApi = new Uri($"http://localhost:{options.ApiPort}");
        if (options.StartApi)
        {
            for (var node = 0; node < Nodes; node++)
            {
                var name = $"api-{(char)('a' + node)}";
                var url = new Uri($"http://localhost:{options.ApiPort + node}");
                var env = EmbeddedProfile.Common(name, url);
                foreach (var (key, value) in connections) env[key] = value;
                env["Registry__DataPath"] = Path.Combine(dataPath, name);
                env["Orleans__ClusterId"] = "registry-dev";
                env["Orleans__ServiceId"] = "registry";
                env["Orleans__Endpoints__SiloPort"] = (options.SiloPort + node).ToString();
                env["Orleans__Endpoints__GatewayPort"] = (options.GatewayPort + node).ToString();
                env["Orleans__Endpoints__AdvertisedIPAddress"] = "127.0.0.1";
                EmbeddedProfile.PassThroughInto(env);
                resources.Add(EmbeddedProfile.Project(name, "api", url, builds, env));
            }
        }

        if (options.StartPortal)
        {
            var portalUrl = new Uri($"http://localhost:{options.PortalPort}");
            var env = EmbeddedProfile.Common("portal", portalUrl);
            env["services__api__http__0"] = firstApi.ToString().TrimEnd('/');
            if (options.StartApi) env["services__api__http__1"] = new Uri($"http://localhost:{options.ApiPort + 1}").ToString().TrimEnd('/');
            resources.Add(EmbeddedProfile.Project("portal", "portal", portalUrl, builds, env));
        }

        var missing = resources.Where(r => !File.Exists(r.Dll)).ToList();
        foreach (var resource in missing)
        {
            output.Error($"{resource.Name}: {resource.Dll} not found; build it first (dotnet build AppHost).");
        }

        if (missing.Count > 0 || resources.Count == 0)
        {
            foreach (var server in backing) await server.StopAsync();
            return null;
        }

        return (resources, backing);
    }
}
