using System.Reflection;

namespace Registry.AppHost;

/// <summary>
/// Where the build put each service and which directory it runs from, as the csproj recorded them
/// in <see cref="AssemblyMetadataAttribute"/>s, so the AppHost runs exactly what was just built.
/// </summary>
internal sealed class BuildOutputs(IReadOnlyDictionary<string, string> metadata)
{
    public static BuildOutputs Load() => new(typeof(BuildOutputs).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Where(a => a.Value is not null)
        .ToDictionary(a => a.Key, a => a.Value!));

    /// <summary>The service's built dll, e.g. Registry.Api/bin/Debug/net10.0/Registry.Api.dll.</summary>
    public string Dll(string resource) => Path.GetFullPath(Get($"{resource}:dll"));

    /// <summary>The service's project directory: its working directory, as under Aspire.</summary>
    public string Directory(string resource) => Path.GetFullPath(Get($"{resource}:dir"));

    private string Get(string key) => metadata.TryGetValue(key, out var value)
        ? value
        : throw new InvalidOperationException($"AppHost was built without the '{key}' metadata; see AppHost.csproj.");
}
