namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Base of every end-to-end test: a fresh registry process (own data path, ports, password) and a
/// scratch directory per test, both gone afterwards.
/// </summary>
public abstract class RegistryTest(ITestOutputHelper output) : IAsyncLifetime
{
    private RegistryProcess? registry;

    protected ITestOutputHelper Output => output;

    protected RegistryProcess Registry => registry ?? throw new InvalidOperationException("Registry not started.");

    protected TempDirectory Scratch { get; } = new("registry-e2e-work");

    /// <summary>Runs tools; failures quote the tool output and the registry log.</summary>
    protected ToolRunner Tools => new(output, () => registry?.Tail() ?? "(registry not started)");

    protected OciClient Oci(string repository, HttpClient http) => new(http, repository, () => Registry.Tail());

    public async Task InitializeAsync()
    {
        try
        {
            registry = await RegistryProcess.StartAsync(output);
        }
        catch
        {
            Scratch.Dispose(); // xunit does not call DisposeAsync when InitializeAsync fails
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (registry is not null)
        {
            await registry.DisposeAsync();
        }
        Scratch.Dispose();
    }
}
