using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Artifacts;

/// <summary>
/// One repository: its description (editable), the pull command, and its artifacts a page at a time.
/// <para>
/// Route: <c>/projects/{project}/repositories/{**repository}</c>, where <c>repository</c> is the
/// name inside the project and may contain '/' (<c>/projects/team/repositories/apps/web</c>). The
/// catch-all needs at least one character, so the project's repository list
/// (<c>/projects/{project}/repositories</c>, another page) is never matched here. Nothing after the
/// repository name is read as anything else: an artifact has its own page,
/// <c>/projects/{project}/artifacts/{digest}?repository={name}</c> (see <see cref="ArtifactModel"/>).
/// </para>
/// </summary>
public sealed class RepositoryModel(RegistryApi api, ApiProbe probe) : PortalPage(api)
{
    public const int PageSize = 15;

    [FromRoute(Name = "project")]
    public string Project { get; set; } = "";

    /// <summary>The repository's name inside the project, e.g. <c>apps/web</c>.</summary>
    [FromRoute(Name = "repository")]
    public string Repository { get; set; } = "";

    /// <summary>The page of artifacts, from 1 (<c>?page=</c>).</summary>
    [FromQuery(Name = "page")]
    public int PageNumber { get; set; } = 1;

    public RepositoryInfo? Info { get; private set; }

    public IReadOnlyList<Artifact> Artifacts { get; private set; } = [];

    public long TotalArtifacts { get; private set; }

    public int PageCount => (int)Math.Max(1, (TotalArtifacts + PageSize - 1) / PageSize);

    public ProjectPermissions Permissions { get; private set; } = ProjectPermissions.None;

    /// <summary>The description as typed, kept when saving it failed.</summary>
    public string? DescriptionDraft { get; private set; }

    public bool EditingDescription { get; private set; }

    public string FullName => $"{Project}/{Repository}";

    /// <summary>host[:port] of the registry, as clients name it in image references.</summary>
    public string RegistryHost => probe.ConfiguredAddress?.Authority ?? "REGISTRY_HOST";

    /// <summary>The podman pull command for the newest tag on this page (or a digest, or <c>latest</c>).</summary>
    public string PullCommand
    {
        get
        {
            var tls = probe.ConfiguredAddress?.Scheme == Uri.UriSchemeHttp ? " --tls-verify=false" : "";
            var tagged = Artifacts.FirstOrDefault(a => a.Tags is { Count: > 0 });
            var reference = tagged is not null ? ":" + tagged.Tags![0].Name
                : Artifacts.Count > 0 ? "@" + Artifacts[0].Digest
                : ":latest";
            return $"podman pull{tls} {RegistryHost}/{FullName}{reference}";
        }
    }

    private string ApiPath => $"/projects/{RegistryApi.Segment(Project)}/repositories/{RegistryApi.RepositorySegment(Repository)}";

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostDescriptionAsync(string? description, CancellationToken cancellationToken)
    {
        description = (description ?? "").ReplaceLineEndings("\n"); // browsers send CRLF; keep what API clients write
        var result = await Api.PutAsync(ApiPath, new { description }, cancellationToken);
        if (result.Ok)
        {
            Flash = "Description saved.";
            return RedirectToPage(new { project = Project, repository = Repository });
        }
        if (Failed(result, "description") is { } signIn) return signIn;
        DescriptionDraft = description;
        EditingDescription = true;
        return await LoadAsync(cancellationToken) ?? Page();
    }

    public async Task<IActionResult> OnPostDeleteArtifactAsync(string? digest, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(digest)) return BadRequest();
        var result = await Api.DeleteAsync($"{ApiPath}/artifacts/{RegistryApi.Segment(digest)}", cancellationToken);
        if (result.Ok)
        {
            Flash = $"Artifact {ArtifactFormat.ShortDigest(digest)} deleted.";
            return RedirectToPage(new { project = Project, repository = Repository });
        }
        if (Failed(result) is { } signIn) return signIn;
        return await LoadAsync(cancellationToken) ?? Page();
    }

    public async Task<IActionResult> OnPostDeleteRepositoryAsync(CancellationToken cancellationToken)
    {
        var result = await Api.DeleteAsync(ApiPath, cancellationToken);
        if (result.Ok)
        {
            Flash = $"Repository {FullName} deleted.";
            return LocalRedirect($"~/projects/{Uri.EscapeDataString(Project)}/repositories");
        }
        if (Failed(result) is { } signIn) return signIn;
        return await LoadAsync(cancellationToken) ?? Page();
    }

    /// <summary>Loads the repository, the user's permissions and one page of artifacts; a result only when the page cannot be shown.</summary>
    private async Task<IActionResult?> LoadAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(Repository)) return NotFound();
        PageNumber = Math.Max(1, PageNumber);
        var repository = Api.GetAsync<RepositoryInfo>(ApiPath, cancellationToken);
        var permissions = ProjectPermissions.LoadAsync(Api, Project, cancellationToken);
        var artifacts = Api.GetAsync<List<Artifact>>(
            $"{ApiPath}/artifacts?page={PageNumber}&page_size={PageSize}&with_tag=true&with_label=true", cancellationToken);
        await Task.WhenAll(repository, permissions, artifacts);

        if (!repository.Result.Ok) return LoadFailed(repository.Result); // the page then shows only the error
        Info = repository.Result.Value;
        Permissions = permissions.Result;
        if (artifacts.Result.Ok)
        {
            Artifacts = artifacts.Result.Value ?? [];
            TotalArtifacts = artifacts.Result.Total ?? Artifacts.Count;
        }
        else if (Failed(artifacts.Result) is { } signIn)
        {
            return signIn;
        }
        return null;
    }
}
