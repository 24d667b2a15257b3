using System.Reflection;

namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>Finds the built Registry.Api.dll of the same configuration as this test assembly, so
/// <c>dotnet test -c Release</c> exercises the Release build and nothing is rebuilt behind our back.</summary>
public static class ApiBinary
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Configuration { get; } =
        Environment.GetEnvironmentVariable("REGISTRY_TEST_CONFIGURATION") is { Length: > 0 } fromEnv
            ? fromEnv
            : ConfigurationOfThisAssembly();

    public static string DllPath =>
        Path.Combine(RepositoryRoot, "Registry.Api", "bin", Configuration, "net10.0", "Registry.Api.dll");

    /// <summary>Fails the calling test with instructions when the API has not been built.</summary>
    public static string RequireBuilt()
    {
        var path = DllPath;
        if (!File.Exists(path))
        {
            Assert.Fail(
                $"Registry.Api is not built for configuration '{Configuration}': {path} does not exist. " +
                $"Run `dotnet build Registry.Api -c {Configuration}` (or eng/test.sh), or set " +
                "REGISTRY_TEST_CONFIGURATION to the configuration you built.");
        }
        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "global.json")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No global.json above {AppContext.BaseDirectory}.");
    }

    private static string ConfigurationOfThisAssembly()
    {
        var attribute = typeof(ApiBinary).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>();
        if (attribute is { Configuration.Length: > 0 })
        {
            return attribute.Configuration;
        }
        // .../bin/<Configuration>/net10.0/ as a fallback.
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return tfmDir.Parent?.Name ?? "Debug";
    }
}
