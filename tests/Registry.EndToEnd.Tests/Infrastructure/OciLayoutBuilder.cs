namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Builds a small but real single-layer OCI image with umoci (init, new, unpack, add files,
/// repack, config), the way an image author without a container engine would.
/// </summary>
public sealed class OciLayoutBuilder(ToolRunner tools, string workDirectory)
{
    private readonly Dictionary<string, byte[]> files = [];
    private readonly List<string> entrypoint = [];
    private readonly List<string> environment = [];

    public OciLayoutBuilder WithFile(string pathInImage, byte[] content)
    {
        files[pathInImage.TrimStart('/')] = content;
        return this;
    }

    public OciLayoutBuilder WithEntrypoint(params string[] command)
    {
        entrypoint.AddRange(command);
        return this;
    }

    public OciLayoutBuilder WithEnv(string nameEqualsValue)
    {
        environment.Add(nameEqualsValue);
        return this;
    }

    /// <summary>Builds the image as <c>layout:tag</c> under the work directory and reads it back.</summary>
    public async Task<OciImage> BuildAsync(string layoutName = "layout", string tag = "v1")
    {
        var layout = Path.Combine(workDirectory, layoutName);
        var bundle = Path.Combine(workDirectory, layoutName + "-bundle");
        var image = $"{layout}:{tag}";

        await tools.RunOkAsync("umoci", ["init", "--layout", layout]);
        await tools.RunOkAsync("umoci", ["new", "--image", image]);
        // umoci maps ownership itself when not root; as root it can keep real uids.
        string[] rootless = Environment.UserName == "root" ? [] : ["--rootless"];
        await tools.RunOkAsync("umoci", ["unpack", .. rootless, "--image", image, bundle]);

        foreach (var (path, content) in files)
        {
            var target = Path.Combine(bundle, "rootfs", path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await File.WriteAllBytesAsync(target, content);
        }
        await tools.RunOkAsync("umoci", ["repack", .. rootless, "--image", image, bundle]);

        var config = new List<string> { "config", "--image", image, "--config.workingdir", "/" };
        config.AddRange(entrypoint.SelectMany(e => new[] { "--config.entrypoint", e }));
        config.AddRange(environment.SelectMany(e => new[] { "--config.env", e }));
        await tools.RunOkAsync("umoci", config);
        await tools.RunOkAsync("umoci", ["gc", "--layout", layout]);
        Directory.Delete(bundle, recursive: true);

        var built = OciImage.Read(layout, tag);
        Assert.True(built.LayerDigests.Count == 1, $"Expected one layer from umoci, got {built.LayerDigests.Count}.");
        return built;
    }
}
