namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>A directory under the system temp path that is removed with everything in it on dispose,
/// so no test leaves registry data, layouts or podman storage behind.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <param name="prefix">Start of the directory name.</param>
    /// <param name="shortPath">Directly under /tmp with a short suffix, for tools that limit path length
    /// (podman refuses a --runroot over 50 characters).</param>
    public TempDirectory(string prefix, bool shortPath = false)
    {
        var parent = shortPath && OperatingSystem.IsLinux() ? "/tmp" : System.IO.Path.GetTempPath();
        var suffix = Guid.NewGuid().ToString("N")[..(shortPath ? 12 : 32)];
        Path = System.IO.Path.Combine(parent, $"{prefix}-{suffix}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
        catch (IOException)
        {
            // A killed child may still hold a file for a moment; a leftover temp dir is not a test failure.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
