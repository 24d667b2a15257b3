namespace Registry.EndToEnd.Tests.Portal;

/// <summary>Base of browser tests: one API, one portal and one browser per test, gone afterwards; no JavaScript errors allowed.</summary>
public abstract class PortalTest(ITestOutputHelper output) : IAsyncLifetime
{
    private PortalSite? _site;

    protected ITestOutputHelper Output => output;

    protected PortalSite Site => _site ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _site = await PortalSite.StartAsync(output);

    public async Task DisposeAsync()
    {
        if (_site is null) return;
        try
        {
            _site.AssertNoJavaScriptErrors();
        }
        finally
        {
            await _site.DisposeAsync();
        }
    }
}
