using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Admin;

/// <summary><c>/admin/labels</c>: the global labels every project can attach.</summary>
public sealed class LabelsModel(RegistryApi api) : AdminPage(api)
{
    public IReadOnlyList<Label> Labels { get; private set; } = [];

    public Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => ListAsync(cancellationToken);

    public async Task<IActionResult> OnPostCreateAsync(string? labelName, string? color, string? description, CancellationToken cancellationToken)
    {
        var result = await Api.PostAsync("/labels", new LabelWrite(labelName?.Trim() ?? "", color ?? "", description ?? "", "g", null), cancellationToken);
        return result.Ok ? Done($"Label {labelName} created.") : Failed(result, "create") ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostUpdateAsync(long id, string? labelName, string? color, string? description, CancellationToken cancellationToken)
    {
        var result = await Api.PutAsync($"/labels/{id}", new LabelWrite(labelName?.Trim() ?? "", color ?? "", description ?? "", "g", null), cancellationToken);
        return result.Ok ? Done($"Label {labelName} saved.") : Failed(result, LoadKey) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id, string? labelName, CancellationToken cancellationToken)
    {
        var result = await Api.DeleteAsync($"/labels/{id}", cancellationToken);
        return result.Ok ? Done($"Label {labelName} deleted.") : Failed(result, LoadKey) ?? await ListAsync(cancellationToken);
    }

    private IActionResult Done(string message)
    {
        Flash = message;
        return RedirectToPage();
    }

    private async Task<IActionResult> ListAsync(CancellationToken cancellationToken)
    {
        var list = await Api.GetAsync<List<Label>>("/labels?scope=g&page_size=100", cancellationToken);
        if (!list.Ok && Failed(list, LoadKey) is { } signIn) return signIn;
        Labels = list.Value ?? [];
        return Page();
    }
}
