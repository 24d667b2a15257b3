using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Projects;

/// <summary>
/// <c>/projects/{name}/recyclebin</c>: the artifacts deleted from the project, newest first, with
/// who deleted them and until when they can come back; restore (maintainers and up), purge one or
/// all (project admins).
/// </summary>
public sealed class RecycleBinModel(RegistryApi api) : ProjectPage(api)
{
    public override ProjectTab Tab => ProjectTab.RecycleBin;

    [FromQuery(Name = "page")] // not "page" as a route value: Razor Pages uses that for the page's name
    public int PageNumber { get; set; } = 1;

    [BindProperty(SupportsGet = true, Name = "page_size")]
    public int PageSize { get; set; } = Pager.DefaultPageSize;

    [BindProperty(SupportsGet = true, Name = "repository")]
    public string? Repository { get; set; }

    public IReadOnlyList<RecycleBinEntry> Entries { get; private set; } = [];

    public Pager Pager { get; private set; } = new(1, Pager.DefaultPageSize, 0, null, null);

    public bool CanPurge => Permissions.Can("project", "update");

    public bool Filtered => !string.IsNullOrWhiteSpace(Repository);

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        return CanSeeTab(Tab) ? await ListAsync(cancellationToken) : TabNotAllowed();
    }

    public async Task<IActionResult> OnPostRestoreAsync(long entryId, string? digest, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        if (!CanSeeTab(Tab)) return TabNotAllowed();
        ModelState.Clear();
        var restored = await Api.PostAsync($"/projects/{ProjectRef}/recyclebin/{entryId}/restore", null, cancellationToken);
        if (restored.Ok) return Done($"{digest ?? "The artifact"} restored.");
        return Failed(restored) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostPurgeAsync(long entryId, string? digest, CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        if (!CanSeeTab(Tab)) return TabNotAllowed();
        ModelState.Clear();
        var purged = await Api.DeleteAsync($"/projects/{ProjectRef}/recyclebin/{entryId}", cancellationToken);
        if (purged.Ok) return Done($"{digest ?? "The artifact"} purged.");
        return Failed(purged) ?? await ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostPurgeAllAsync(CancellationToken cancellationToken)
    {
        if (await LoadProjectAsync(cancellationToken) is { } failed) return failed;
        if (!CanSeeTab(Tab)) return TabNotAllowed();
        ModelState.Clear();
        var purged = await Api.DeleteAsync($"/projects/{ProjectRef}/recyclebin", cancellationToken);
        if (purged.Ok) return Done("The recycle bin was emptied.");
        return Failed(purged) ?? await ListAsync(cancellationToken);
    }

    private IActionResult Done(string message)
    {
        Flash = message;
        return RedirectToPage(new { name = Project.Name });
    }

    private async Task<IActionResult> ListAsync(CancellationToken cancellationToken)
    {
        (PageNumber, PageSize) = Paging(PageNumber, PageSize);
        var path = $"/projects/{ProjectRef}/recyclebin?page={PageNumber}&page_size={PageSize}";
        // The API URL-decodes the value once more, so it is escaped twice.
        if (Filtered) path += "&q=" + Uri.EscapeDataString("repository_name=~" + Uri.EscapeDataString(Repository!.Trim()));
        var list = await Api.GetAsync<List<RecycleBinEntry>>(path, cancellationToken);
        if (!list.Ok && Failed(list) is { } signIn) return signIn;
        Entries = list.Value ?? [];
        Pager = Pager.For(Request, PageNumber, PageSize, list.Total, Entries.Count);
        return Page();
    }

    public static string Short(string digest) => digest.Length > 19 ? digest[..19] : digest;
}
