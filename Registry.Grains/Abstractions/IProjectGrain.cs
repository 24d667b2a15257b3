using Orleans.Concurrency;

namespace Registry.Grains.Abstractions;

[GenerateSerializer, Immutable, Alias("Registry.ProjectInfo")]
public sealed record ProjectInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] bool Public,
    [property: Id(2)] long Id);

/// <summary>
/// A project's settings and members' roles as every node must see them (key: project name).
/// Access checks ask it on each request, so a change of visibility or membership is effective
/// everywhere at once: whoever changes them calls <see cref="RefreshAsync"/>.
/// </summary>
[Alias("Registry.IProjectGrain")]
public interface IProjectGrain : IGrainWithStringKey
{
    [AlwaysInterleave, Alias("Get")]
    Task<ProjectInfo?> GetAsync();

    /// <summary>The project and the user's role in it (null when not a member); null when there is no such project.</summary>
    [AlwaysInterleave, Alias("GetAccess")]
    Task<(ProjectInfo Project, int? Role)?> GetAccessAsync(long userId);

    /// <summary>
    /// The project's immutable tag rules (enabled and disabled), cached like the settings: whoever
    /// changes them calls <see cref="RefreshAsync"/>, so the next push on any node sees the change.
    /// Empty when there is no such project.
    /// </summary>
    [AlwaysInterleave, Alias("GetImmutableRules")]
    Task<System.Collections.Immutable.ImmutableArray<ImmutableRule>> GetImmutableRulesAsync();

    /// <summary>Drops the cached settings and roles so the next read comes from the metadata store.</summary>
    [Alias("Refresh")]
    Task RefreshAsync();
}
