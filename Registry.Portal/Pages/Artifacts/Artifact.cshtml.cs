using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Registry.Portal.Api;
using Registry.Portal.Api.Models;

namespace Registry.Portal.Pages.Artifacts;

/// <summary>
/// One artifact: tags (add, delete), digest, type, size, times; for an image its config (platform,
/// env, entrypoint, history) and layers; for an index its children per platform; what is attached
/// to it (signatures, SBOMs); the raw manifest.
/// <para>
/// Route: <c>/projects/{project}/artifacts/{reference}?repository={name in project}</c>, e.g.
/// <c>/projects/team/artifacts/sha256:ab…?repository=apps/web</c>. The repository is a query
/// parameter because its name may contain '/', and a path under
/// <c>/projects/{project}/repositories/{**repository}</c> (the repository page) could not tell where
/// the name ends. <c>reference</c> is a digest (links always use one) or a tag.
/// </para>
/// </summary>
public sealed class ArtifactModel(RegistryApi api, ApiProbe probe, IHttpClientFactory clients) : PortalPage(api)
{
    private static readonly JsonSerializerOptions DocumentJson = new() { PropertyNameCaseInsensitive = false };

    [FromRoute(Name = "project")]
    public string Project { get; set; } = "";

    [FromRoute(Name = "reference")]
    public string Reference { get; set; } = "";

    /// <summary>The repository's name inside the project, e.g. <c>apps/web</c>.</summary>
    [FromQuery(Name = "repository")]
    public string Repository { get; set; } = "";

    public Artifact? Artifact { get; private set; }

    public ProjectPermissions Permissions { get; private set; } = ProjectPermissions.None;

    public ManifestDocument? Manifest { get; private set; }

    /// <summary>The manifest as stored, indented for reading (shown escaped).</summary>
    public string? RawManifest { get; private set; }

    /// <summary>The stored manifest's length in bytes.</summary>
    public int ManifestBytes { get; private set; }

    /// <summary>Why the manifest could not be shown, when it could not.</summary>
    public string? ManifestError { get; private set; }

    public ImageConfig? Config { get; private set; }

    /// <summary>Why the image config could not be shown, when it could not.</summary>
    public string? ConfigError { get; private set; }

    /// <summary>Labels the user may attach (global and the project's) that the artifact does not carry yet.</summary>
    public IReadOnlyList<Label> AttachableLabels { get; private set; } = [];

    public bool CanLabel => Permissions.Can("artifact-label", "create");

    /// <summary>The tag typed into the add-tag form, kept when adding it failed.</summary>
    public string? NewTag { get; private set; }

    public string FullName => $"{Project}/{Repository}";

    public string RegistryHost => probe.ConfiguredAddress?.Authority ?? "REGISTRY_HOST";

    public bool IsIndex => ArtifactFormat.IsIndex(Artifact?.ManifestMediaType ?? Manifest?.MediaType) || Manifest?.Manifests is { Count: > 0 };

    /// <summary>The children of an index: the manifest's descriptors, with the API's references when the manifest could not be read.</summary>
    public IReadOnlyList<Descriptor> Children =>
        Manifest?.Manifests
        ?? [.. (Artifact?.References ?? []).Select(r => new Descriptor(null, r.ChildDigest, 0,
            r.Platform is { } p ? new DescriptorPlatform(p.Architecture, p.Os, p.OsVersion, p.Variant) : null, null, r.Annotations))];

    public string PullCommand(string reference)
    {
        var tls = probe.ConfiguredAddress?.Scheme == Uri.UriSchemeHttp ? " --tls-verify=false" : "";
        return $"podman pull{tls} {RegistryHost}/{FullName}{reference}";
    }

    /// <summary>The link to another artifact of this repository (an index child, an accessory).</summary>
    public string? ArtifactHref(string? digest) =>
        digest is null ? null : ArtifactFormat.ArtifactHref(Url, Project, Repository, digest);

    public string RepositoryHref => Url.Page("/Artifacts/Repository", new { project = Project, repository = Repository })!;

    private string ArtifactApiPath(string reference) =>
        $"/projects/{RegistryApi.Segment(Project)}/repositories/{RegistryApi.RepositorySegment(Repository)}/artifacts/{RegistryApi.Segment(reference)}";

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostAddTagAsync(string? tag, CancellationToken cancellationToken)
    {
        tag = tag?.Trim() ?? "";
        var result = await Api.PostAsync($"{ArtifactApiPath(Reference)}/tags", new { name = tag }, cancellationToken);
        if (result.Ok)
        {
            Flash = $"Tag {tag} added.";
            return RedirectToSelf();
        }
        if (Failed(result, "tag") is { } signIn) return signIn;
        NewTag = tag;
        return await LoadAsync(cancellationToken) ?? Page();
    }

    public async Task<IActionResult> OnPostAddLabelAsync(long labelId, CancellationToken cancellationToken)
    {
        var result = await Api.PostAsync($"{ArtifactApiPath(Reference)}/labels", new { id = labelId }, cancellationToken);
        if (result.Ok)
        {
            Flash = "Label added.";
            return RedirectToSelf();
        }
        if (Failed(result, "label") is { } signIn) return signIn;
        return await LoadAsync(cancellationToken) ?? Page();
    }

    public async Task<IActionResult> OnPostRemoveLabelAsync(long labelId, CancellationToken cancellationToken)
    {
        var result = await Api.DeleteAsync($"{ArtifactApiPath(Reference)}/labels/{labelId}", cancellationToken);
        if (result.Ok)
        {
            Flash = "Label removed.";
            return RedirectToSelf();
        }
        if (Failed(result, "label") is { } signIn) return signIn;
        return await LoadAsync(cancellationToken) ?? Page();
    }

    public async Task<IActionResult> OnPostDeleteTagAsync(string? tag, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(tag)) return BadRequest();
        var result = await Api.DeleteAsync($"{ArtifactApiPath(Reference)}/tags/{RegistryApi.Segment(tag)}", cancellationToken);
        if (result.Ok)
        {
            Flash = $"Tag {tag} deleted.";
            return RedirectToSelf();
        }
        if (Failed(result) is { } signIn) return signIn;
        return await LoadAsync(cancellationToken) ?? Page();
    }

    public async Task<IActionResult> OnPostDeleteAsync(CancellationToken cancellationToken)
    {
        var result = await Api.DeleteAsync(ArtifactApiPath(Reference), cancellationToken);
        if (result.Ok)
        {
            Flash = $"Artifact {ArtifactFormat.ShortDigest(Reference)} deleted.";
            return LocalRedirect(RepositoryHref);
        }
        if (Failed(result) is { } signIn) return signIn;
        return await LoadAsync(cancellationToken) ?? Page();
    }

    private IActionResult RedirectToSelf() => LocalRedirect(ArtifactFormat.ArtifactHref(Url, Project, Repository, Reference));

    /// <summary>Loads the artifact and the user's permissions, then its manifest and config; a result only when the page cannot be shown.</summary>
    private async Task<IActionResult?> LoadAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(Repository) || string.IsNullOrEmpty(Reference)) return NotFound();
        var artifact = Api.GetAsync<Artifact>($"{ArtifactApiPath(Reference)}?with_tag=true&with_label=true&with_accessory=true", cancellationToken);
        var permissions = ProjectPermissions.LoadAsync(Api, Project, cancellationToken);
        await Task.WhenAll(artifact, permissions);
        if (!artifact.Result.Ok || artifact.Result.Value is null) return LoadFailed(artifact.Result); // the page then shows only the error
        Artifact = artifact.Result.Value;
        Permissions = permissions.Result;
        if (CanLabel)
        {
            var global = await Api.GetAsync<List<Label>>("/labels?scope=g&page_size=100", cancellationToken);
            var local = await Api.GetAsync<List<Label>>($"/labels?scope=p&project_id={Artifact.ProjectId}&page_size=100", cancellationToken);
            var carried = (Artifact.Labels ?? []).Select(l => l.Id).ToHashSet();
            AttachableLabels = [.. (global.Value ?? []).Concat(local.Value ?? []).Where(l => !carried.Contains(l.Id))];
        }

        var distribution = new Distribution(clients, User);
        var manifest = await distribution.GetManifestAsync(Artifact.RepositoryName, Artifact.Digest, cancellationToken);
        if (manifest.Content is not { } content)
        {
            ManifestError = manifest.Error;
            Config = ConfigFromExtraAttributes();
            return null;
        }
        RawManifest = ArtifactFormat.PrettyJson(content);
        ManifestBytes = content.Length;
        Manifest = Parse<ManifestDocument>(content);
        if (Manifest is null)
        {
            ManifestError = "the manifest is not JSON this page understands";
            return null;
        }
        if (Manifest.Config is { Digest: { } configDigest } config && IsImageConfig(config.MediaType))
        {
            if (config.Size > Distribution.MaxConfigBytes)
            {
                ConfigError = $"the image config is larger than {Distribution.MaxConfigBytes / 1024} KiB; not shown";
            }
            else
            {
                var blob = await distribution.GetBlobAsync(Artifact.RepositoryName, configDigest, Distribution.MaxConfigBytes, cancellationToken);
                Config = blob.Content is { } bytes ? Parse<ImageConfig>(bytes) : null;
                if (Config is null) ConfigError = blob.Error ?? "the image config is not JSON this page understands";
            }
            Config ??= ConfigFromExtraAttributes();
        }
        return null;
    }

    private static bool IsImageConfig(string? mediaType) =>
        mediaType is "application/vnd.oci.image.config.v1+json" or "application/vnd.docker.container.image.v1+json";

    /// <summary>What the API tells of an image's config (no history) when the blob cannot be read.</summary>
    private ImageConfig? ConfigFromExtraAttributes()
    {
        if (Artifact?.Type != "IMAGE" || Artifact.ExtraAttrs is not { Count: > 0 } attributes) return null;
        return Parse<ImageConfig>(JsonSerializer.SerializeToUtf8Bytes(attributes));
    }

    private static T? Parse<T>(byte[] content) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(content, DocumentJson);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
