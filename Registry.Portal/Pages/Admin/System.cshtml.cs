using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Admin;

/// <summary>What the registry is and how it is doing: <c>/systeminfo</c>, <c>/health</c> and <c>/statistics</c>.</summary>
public sealed class SystemModel(RegistryApi api) : AdminPage(api)
{
    public SystemInfo? Info { get; private set; }

    public SystemHealth? Health { get; private set; }

    public Statistics? Statistics { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var info = Api.GetAsync<SystemInfo>("/systeminfo", cancellationToken);
        var health = Api.GetAsync<SystemHealth>("/health", cancellationToken);
        var statistics = Api.GetAsync<Statistics>("/statistics", cancellationToken);
        await Task.WhenAll(info, health, statistics);
        if (info.Result.Status == HttpStatusCode.Unauthorized || health.Result.Status == HttpStatusCode.Unauthorized || statistics.Result.Status == HttpStatusCode.Unauthorized)
            return RedirectToPage("/Account/Login", new { returnUrl = Request.Path.ToString() });
        Note(info.Result, "System information");
        Note(health.Result, "Health");
        Note(statistics.Result, "Statistics");
        Info = info.Result.Value;
        Health = health.Result.Value;
        Statistics = statistics.Result.Value;
        return Page();
    }

    private void Note<T>(ApiResult<T> result, string what)
    {
        if (!result.Ok) ModelState.AddModelError(LoadKey, $"{what}: {result.Error}");
    }

    /// <summary>Bytes in the largest binary unit that keeps the number at or above 1, e.g. "1.5 GiB".</summary>
    public static string Size(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes" : $"{value.ToString("0.#", CultureInfo.InvariantCulture)} {units[unit]}";
    }
}
