using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary><c>/projects/{name}/labels</c>: the project's labels; maintainers and project admins create, edit and delete them.</summary>
public sealed class LabelsModel(RegistryApi api) : ProjectPage(api)
{
    public override ProjectTab Tab => ProjectTab.Labels;

    public IReadOnlyList<Label> Labels { get; private set; } = [];

    public bool CanManage => Permissions.Can("label", "create");

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadProjectAsync(cancellationToken) ?? (CanSeeTab(Tab) ? await ListAsync(cancellationToken) : TabNotAllowed());

    public async Task<IActionResult> OnPostCreateAsync(string? labelName, string? color, string? description, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        var result = await Api.PostAsync("/labels", new LabelWrite(labelName?.Trim() ?? "", color ?? "", description ?? "", "p", Project.ProjectId), cancellationToken);
        return result.Ok ? Done($"Label {labelName} created.") : Failed(result, "create") ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostUpdateAsync(long id, string? labelName, string? color, string? description, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        var result = await Api.PutAsync($"/labels/{id}", new LabelWrite(labelName?.Trim() ?? "", color ?? "", description ?? "", "p", Project.ProjectId), cancellationToken);
        return result.Ok ? Done($"Label {labelName} saved.") : Failed(result) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id, string? labelName, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        var result = await Api.DeleteAsync($"/labels/{id}", cancellationToken);
        return result.Ok ? Done($"Label {labelName} deleted.") : Failed(result) ?? await ListAsync(cancellationToken);
    }

    private IActionResult Done(string message)
    {
        Flash = message;
        return RedirectToPage(new { name = Project.Name });
    }

    private async Task<IActionResult> ListAsync(CancellationToken cancellationToken)
    {
        var list = await Api.GetAsync<List<Label>>($"/labels?scope=p&project_id={ProjectRef}&page_size=100", cancellationToken);
        if (!list.Ok && Failed(list) is { } signIn) return signIn;
        Labels = list.Value ?? [];
        return Page();
    }
}
