using System.Runtime.InteropServices;

namespace Registry.AppHost;

/// <summary>
/// Finds the `dotnet` executable that runs this AppHost, so children run on the same runtime
/// even when `dotnet` is not on PATH.
/// </summary>
internal static class DotnetHost
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (System.IO.Path.GetFileName(Environment.ProcessPath) == exe)
        {
            return Environment.ProcessPath!;
        }

        string?[] candidates =
        [
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
            Environment.GetEnvironmentVariable("DOTNET_ROOT") is { } root ? System.IO.Path.Combine(root, exe) : null,
            // <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet
            System.IO.Path.GetFullPath(System.IO.Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", exe)),
        ];
        return candidates.FirstOrDefault(File.Exists) ?? exe;
    }
}
