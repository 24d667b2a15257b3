using Orleans.Concurrency;

namespace Registry.Grains.Abstractions;

[GenerateSerializer, Immutable, Alias("Registry.ProjectInfo")]
public sealed record ProjectInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] bool Public);

/// <summary>
/// A project's settings as every node must see them (key: project name). Access checks ask it on
/// each request, so a change of visibility is effective everywhere at once.
/// </summary>
[Alias("Registry.IProjectGrain")]
public interface IProjectGrain : IGrainWithStringKey
{
    [AlwaysInterleave, Alias("Get")]
    Task<ProjectInfo?> GetAsync();

    /// <summary>Drops the cached settings so the next read comes from the metadata store.</summary>
    [Alias("Refresh")]
    Task RefreshAsync();
}
