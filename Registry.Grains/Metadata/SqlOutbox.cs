using System.Data.Common;
using Registry.Grains.Policies;

namespace Registry.Grains.Metadata;

/// <summary>An event as stored in the outbox: its row id (increasing) and the event.</summary>
public sealed record OutboxEntry(long Id, RegistryEvent Event);

/// <summary>
/// The event outbox. Changes that have a transaction write their events in it (see
/// <see cref="Insert"/>); events without one (pulls, retention results) are appended here.
/// Readers page through it by id and keep their own cursor.
/// </summary>
public interface IOutbox
{
    Task AppendAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> events with ids greater than <paramref name="afterId"/>, in id order.</summary>
    Task<IReadOnlyList<OutboxEntry>> ReadAsync(long afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Deletes events older than <paramref name="cutoff"/> and at most <paramref name="upToId"/> (what every reader has seen).</summary>
    Task<int> PurgeAsync(DateTimeOffset cutoff, long upToId, CancellationToken cancellationToken = default);

    /// <summary>The outbox insert, for stores writing an event inside their own transaction (parameters as <see cref="Parameters"/> names them).</summary>
    public const string Insert = "INSERT INTO outbox (project_id, event_type, payload, created_at) VALUES (@ob_project, @ob_type, @ob_payload, @ob_at)";

    public static (string Name, object? Value)[] Parameters(RegistryEvent e) =>
        [("@ob_project", e.ProjectId), ("@ob_type", e.Type), ("@ob_payload", e.ToJson()), ("@ob_at", e.OccurAt.ToUnixTimeMilliseconds())];
}

internal sealed class SqlOutbox(SqlSession session) : IOutbox
{
    public Task AppendAsync(IReadOnlyList<RegistryEvent> events, CancellationToken cancellationToken = default) =>
        events.Count == 0 ? Task.CompletedTask : session.WriteAsync(async (c, tx) =>
        {
            foreach (var e in events) await SqlSession.ExecuteAsync(c, tx, IOutbox.Insert, cancellationToken, IOutbox.Parameters(e));
            return 0;
        }, cancellationToken);

    public Task<IReadOnlyList<OutboxEntry>> ReadAsync(long afterId, int limit, CancellationToken cancellationToken = default) =>
        session.ReadAsync<IReadOnlyList<OutboxEntry>>(async (c, tx) => await SqlSession.QueryAsync(c, tx,
            "SELECT id, payload FROM outbox WHERE id > @after ORDER BY id LIMIT @limit",
            r => new OutboxEntry(r.Long(0), RegistryEvent.FromJson(r.GetString(1))), cancellationToken,
            ("@after", afterId), ("@limit", limit)), snapshot: false, cancellationToken);

    public Task<int> PurgeAsync(DateTimeOffset cutoff, long upToId, CancellationToken cancellationToken = default) =>
        session.WriteAsync((c, tx) => SqlSession.ExecuteAsync(c, tx, "DELETE FROM outbox WHERE created_at < @cutoff AND id <= @upto",
            cancellationToken, ("@cutoff", cutoff.ToUnixTimeMilliseconds()), ("@upto", upToId)), cancellationToken);
}
