using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Registry.Portal.Pages;

/// <summary>Home page: where the API is, whether it answers, and how to push and pull.</summary>
public sealed class IndexModel(ApiProbe probe) : PageModel
{
    /// <summary>The configured API address, or null when the portal was started without one.</summary>
    public Uri? ApiAddress { get; private set; }

    /// <summary>The result of probing <c>GET /v2/</c>; null when there is no address to probe.</summary>
    public ApiStatus? Status { get; private set; }

    /// <summary>The host[:port] clients use in image references, e.g. <c>localhost:5000</c>.</summary>
    public string RegistryHost => ApiAddress?.Authority ?? "REGISTRY_HOST";

    /// <summary>True when the API is plain HTTP, so clients need the insecure-registry switches.</summary>
    public bool IsPlainHttp => ApiAddress?.Scheme == Uri.UriSchemeHttp;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        ApiAddress = probe.ConfiguredAddress;
        if (ApiAddress is not null)
        {
            Status = await probe.CheckAsync(cancellationToken);
        }
    }
}
