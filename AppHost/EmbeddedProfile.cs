namespace Registry.AppHost;

/// <summary>
/// The embedded profile: one API (with its co-hosted silo, SQLite and filesystem blobs under the
/// data path) and the portal. Configuration goes in through the environment variables an Aspire
/// AppHost would set, so the services cannot tell the two hosts apart.
/// </summary>
internal static class EmbeddedProfile
{
    private static readonly string[] PassThrough = ["OTEL_EXPORTER_OTLP_ENDPOINT", "Registry__AdminPassword"];

    public static bool TryCreate(AppHostOptions options, BuildOutputs builds, ConsoleOutput output, out List<Resource> resources)
    {
        var apiUrl = new Uri($"http://localhost:{options.ApiPort}");
        resources = [];
        if (options.StartApi)
        {
            var dataPath = Path.GetFullPath(options.DataPath
                ?? Environment.GetEnvironmentVariable("Registry__DataPath") ?? ".data");
            var env = Common("api", apiUrl);
            env["Registry__DataPath"] = dataPath;
            env["Orleans__Endpoints__SiloPort"] = options.SiloPort.ToString();
            env["Orleans__Endpoints__GatewayPort"] = options.GatewayPort.ToString();
            PassThroughInto(env);
            resources.Add(Project("api", "api", apiUrl, builds, env));
        }

        if (options.StartPortal)
        {
            var portalUrl = new Uri($"http://localhost:{options.PortalPort}");
            var env = Common("portal", portalUrl);
            env["services__api__http__0"] = apiUrl.ToString().TrimEnd('/');
            resources.Add(Project("portal", "portal", portalUrl, builds, env));
        }

        var missing = resources.Where(r => !File.Exists(r.Dll)).ToList();
        foreach (var resource in missing)
        {
            output.Error($"{resource.Name}: {resource.Dll} not found; build it first (dotnet build AppHost).");
        }

        return missing.Count == 0 && resources.Count > 0;
    }

    /// <summary>Copies the variables the developer may set for the API (OTLP endpoint, admin password).</summary>
    public static void PassThroughInto(Dictionary<string, string> env)
    {
        foreach (var name in PassThrough)
        {
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value)
            {
                env[name] = value;
            }
        }
    }

    public static Dictionary<string, string> Common(string name, Uri url) => new()
    {
        ["ASPNETCORE_URLS"] = url.ToString().TrimEnd('/'),
        ["ASPNETCORE_ENVIRONMENT"] = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Development",
        ["OTEL_SERVICE_NAME"] = name,
    };

    /// <summary>A resource named <paramref name="name"/> running the build of project <paramref name="project"/>.</summary>
    public static Resource Project(string name, string project, Uri url, BuildOutputs builds, Dictionary<string, string> env) =>
        new(name, url, builds.Dll(project), builds.Directory(project), ["--urls", url.ToString().TrimEnd('/')], env);
}
