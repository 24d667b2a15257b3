using Registry.Grains.Abstractions;

namespace Registry.Grains.Metadata;

/// <summary>Harbor's label scopes: global labels belong to no project (<c>project_id</c> 0), project labels to one.</summary>
public static class LabelScopes
{
    public const string Global = "g";
    public const string Project = "p";
}

public sealed record LabelRecord(
    long Id,
    string Name,
    string Description,
    string Color,
    /// <summary>"g" (global) or "p" (project).</summary>
    string Scope,
    /// <summary>0 for a global label.</summary>
    long ProjectId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public enum LabelChange { Done, NotFound, Duplicate }

/// <summary>
/// Labels and which artifacts carry them. Names are unique per scope and project. Artifacts are
/// keyed by repository and digest, as the repository stores key them; an artifact's labels are
/// read with it through <see cref="IArtifactQueries"/>.
/// </summary>
public interface ILabelStore
{
    /// <summary>Null when the scope and project already have a label of that name.</summary>
    Task<LabelRecord?> CreateAsync(string name, string description, string color, string scope, long projectId, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task<LabelRecord?> GetAsync(long id, CancellationToken cancellationToken = default);
    Task<LabelChange> UpdateAsync(long id, string name, string description, string color, DateTimeOffset now, CancellationToken cancellationToken = default);
    /// <summary>Deletes the label and detaches it from every artifact, in one transaction.</summary>
    Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default);
    /// <summary>Labels of a scope (and project, for "p"). Fields: filter <c>name</c> (exact/fuzzy); sort <c>name</c>, <c>creation_time</c>, <c>update_time</c>.</summary>
    Task<Page<LabelRecord>> ListAsync(ListQuery query, string scope, long? projectId, CancellationToken cancellationToken = default);
    /// <summary>False when the artifact already carries the label.</summary>
    Task<bool> AttachAsync(string repository, Digest digest, long labelId, DateTimeOffset now, CancellationToken cancellationToken = default);
    Task<bool> DetachAsync(string repository, Digest digest, long labelId, CancellationToken cancellationToken = default);
}
