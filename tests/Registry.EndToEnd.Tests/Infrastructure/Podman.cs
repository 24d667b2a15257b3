namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>
/// podman with private storage (vfs driver, temp --root/--runroot/--tmpdir) and a private auth
/// file, so a test neither sees nor leaves images or credentials on the machine.
/// </summary>
public sealed class Podman(ToolRunner tools, TempDirectory scratch) : IDisposable
{
    private readonly TempDirectory runRoot = new("e2e-podman", shortPath: true);

    private string[] GlobalOptions =>
    [
        "--root", scratch.Combine("podman-root"), "--runroot", runRoot.Path,
        "--tmpdir", scratch.Combine("podman-tmp"), "--storage-driver", "vfs", "--events-backend", "none",
    ];

    /// <summary>Holds what <c>podman login</c> writes; starts as an empty auth file (anonymous).</summary>
    public string AuthFile { get; } = CreateEmptyAuthFile(scratch);

    public Task<ToolResult> RunOkAsync(params string[] arguments) =>
        tools.RunOkAsync("podman", [.. GlobalOptions, .. arguments]);

    public Task<ToolResult> RunFailingAsync(params string[] arguments) =>
        tools.RunFailingAsync("podman", [.. GlobalOptions, .. arguments]);

    public Task<ToolResult> RunAsync(params string[] arguments) =>
        tools.RunAsync("podman", [.. GlobalOptions, .. arguments]);

    /// <summary>Pulls an image out of an OCI layout into podman storage and gives it <paramref name="name"/>.</summary>
    public async Task<string> LoadAsync(OciImage image, string name)
    {
        var pulled = await RunOkAsync("pull", image.Reference);
        var imageId = pulled.StdOut.Trim().Split('\n')[^1].Trim();
        await RunOkAsync("tag", imageId, name);
        return imageId;
    }

    /// <summary>The manifest digest podman recorded for a local image (what it pulled or pushed).</summary>
    public async Task<string> ImageDigestAsync(string name) =>
        (await RunOkAsync("image", "inspect", "--format", "{{.Digest}}", name)).StdOut.Trim();

    public void Dispose() => runRoot.Dispose();

    private static string CreateEmptyAuthFile(TempDirectory scratch)
    {
        var path = scratch.Combine("auth.json");
        File.WriteAllText(path, """{"auths":{}}""");
        return path;
    }
}
