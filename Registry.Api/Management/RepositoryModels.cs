using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using Registry.Grains.Abstractions;

namespace Registry.Api.Management;

/// <summary>Harbor's <c>Repository</c>: <c>name</c> is the full name, project included.</summary>
public sealed record RepositoryDto(
    long Id, long ProjectId, string Name, string Description, long ArtifactCount, long PullCount,
    DateTimeOffset? CreationTime, DateTimeOffset? UpdateTime);

/// <summary>The body of a repository update: Harbor's <c>Repository</c>, of which only <c>description</c> is changed.</summary>
public sealed record RepositoryReq(string? Description);

public sealed class RepositoryReqValidator : AbstractValidator<RepositoryReq>
{
    public const int MaxDescriptionLength = 64 * 1024;

    public RepositoryReqValidator()
    {
        RuleFor(r => r.Description).Must(d => d is null || d.Length <= MaxDescriptionLength)
            .WithMessage($"description must be at most {MaxDescriptionLength} characters");
    }
}

public sealed record PlatformDto(
    string? Architecture,
    string? Os,
    [property: JsonPropertyName("os.version")] string? OsVersion,
    [property: JsonPropertyName("os.features")] IReadOnlyList<string>? OsFeatures,
    string? Variant);

/// <summary>A child of an index.</summary>
public sealed record ReferenceDto(long ParentId, long ChildId, string ChildDigest, PlatformDto? Platform,
    IReadOnlyDictionary<string, string>? Annotations, IReadOnlyList<string>? Urls);

public sealed record TagDto(long Id, long RepositoryId, long ArtifactId, string Name, DateTimeOffset PushTime, DateTimeOffset? PullTime, bool Immutable);

/// <summary>Harbor's <c>Tag</c> as a request body: only <c>name</c> is read.</summary>
public sealed record TagReq(string? Name);

public sealed class TagReqValidator : AbstractValidator<TagReq>
{
    public TagReqValidator()
    {
        RuleFor(t => t.Name).Must(RepositoryName.IsValidTag)
            .WithMessage("name must be a valid tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
    }
}

/// <summary>An artifact attached to another by its <c>subject</c> (or cosign's tag convention): signatures, SBOMs, attestations.</summary>
public sealed record AccessoryDto(long Id, long ArtifactId, long SubjectArtifactId, string SubjectArtifactDigest, string SubjectArtifactRepo,
    long Size, string Digest, string Type, string Icon, DateTimeOffset? CreationTime);

public sealed record ArtifactDto(
    long Id,
    string Type,
    string MediaType,
    string ManifestMediaType,
    string? ArtifactType,
    long ProjectId,
    long RepositoryId,
    string RepositoryName,
    string Digest,
    long Size,
    string Icon,
    DateTimeOffset PushTime,
    DateTimeOffset? PullTime,
    IReadOnlyDictionary<string, JsonElement>? ExtraAttrs,
    IReadOnlyDictionary<string, string>? Annotations,
    IReadOnlyList<ReferenceDto>? References,
    IReadOnlyList<TagDto>? Tags,
    IReadOnlyList<LabelDto>? Labels,
    IReadOnlyList<AccessoryDto>? Accessories);

public sealed record SearchRepositoryDto(long ProjectId, string ProjectName, bool ProjectPublic, string RepositoryName, long PullCount, long ArtifactCount);

public sealed record SearchDto(IReadOnlyList<ProjectDto> Project, IReadOnlyList<SearchRepositoryDto> Repository);

public sealed record StatisticDto(
    long PrivateProjectCount, long PrivateRepoCount, long PublicProjectCount, long PublicRepoCount,
    long TotalProjectCount, long TotalRepoCount, long TotalStorageConsumption);
