using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Admin;

/// <summary>
/// <c>/admin/quotas</c>: every project's storage used against its limit, busiest first, and a
/// form per project to change the limit (empty for unlimited).
/// </summary>
public sealed class QuotasModel(RegistryApi api) : AdminListPage(api)
{
    public static readonly IReadOnlyList<(string Unit, long Factor)> Units = [("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40)];

    public IReadOnlyList<Quota> Quotas { get; private set; } = [];

    public async Task<IActionResult> OnPostLimitAsync(long id, string? name, string? limit, string? unit, CancellationToken cancellationToken)
    {
        long bytes;
        if (string.IsNullOrWhiteSpace(limit))
        {
            bytes = -1;
        }
        else if (decimal.TryParse(limit, NumberStyles.Number, CultureInfo.InvariantCulture, out var amount) && amount >= 0
            && Units.FirstOrDefault(u => u.Unit == unit) is { Factor: > 0 } chosen && amount * chosen.Factor <= long.MaxValue)
        {
            bytes = (long)(amount * chosen.Factor);
        }
        else
        {
            ModelState.AddModelError(RowKey(id), "Enter a number of MiB, GiB or TiB, or leave it empty for unlimited.");
            return await RowFailedAsync(id, cancellationToken);
        }
        var result = await Api.PutAsync($"/quotas/{id}", new { hard = new { storage = bytes } }, cancellationToken);
        if (result.Ok)
        {
            Flash = $"The quota of {name ?? "the project"} is now {ProjectFormats.Bytes(bytes)}.";
            return Back();
        }
        return Failed(result, RowKey(id)) ?? await RowFailedAsync(id, cancellationToken);
    }

    /// <summary>The limit as the edit form shows it: a number and its unit (empty for unlimited).</summary>
    public static (string Amount, string Unit) Editable(long limit)
    {
        if (limit < 0) return ("", "GiB");
        var (unit, factor) = Units.LastOrDefault(u => limit >= u.Factor && limit % (u.Factor / 1024) == 0) is { Factor: > 0 } best ? best : Units[0];
        return ((limit / (decimal)factor).ToString("0.###", CultureInfo.InvariantCulture), unit);
    }

    protected override bool Shows(long id) => Quotas.Any(q => q.Id == id);

    protected override async Task<IActionResult> LoadAsync(CancellationToken cancellationToken)
    {
        var quotas = await Api.GetAsync<List<Quota>>($"/quotas?page={P}&page_size={PageSize}&sort=-used.storage", cancellationToken);
        if (!quotas.Ok) return Failed(quotas, LoadKey) ?? Page();
        Quotas = quotas.Value ?? [];
        Total = quotas.Total ?? Quotas.Count;
        return Page();
    }
}
