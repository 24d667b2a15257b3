using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Registry.Api.Hosting;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Api.Management;

/// <summary>
/// Pull times and counts without a database write per pull: each manifest GET adds to an
/// in-memory tally per (repository, digest, tag), and the tallies are written through
/// <see cref="IArtifactQueries.RecordPullsAsync"/> in one batch every
/// <see cref="RegistryOptions.PullFlushSeconds"/> and at shutdown. A batch the store refuses is
/// kept for the next flush (up to <see cref="MaxPending"/> distinct keys; beyond that new keys are
/// dropped and counted in the log, as pull statistics are not worth failing or bloating a node for).
/// The same batch writes the pull audit entries (one per user, artifact and tag pulled since the last
/// flush, in one transaction) and the PULL_ARTIFACT events webhooks deliver.
/// </summary>
public sealed class PullRecorder(IArtifactQueries queries, TimeProvider clock, IOptions<RegistryOptions> options, ILogger<PullRecorder> logger,
    IIdentityStore? identity = null, IAuditPurgeStore? audit = null, IOutbox? outbox = null)
    : BackgroundService
{
    public const int MaxPending = 100_000;

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private Dictionary<PullKey, Tally> _pending = [];
    private Dictionary<PullKey, Tally> _spare = [];
    private long _dropped;

    private readonly record struct PullKey(string Repository, Digest Digest, string? Tag, string? Username);

    private struct Tally
    {
        public int Count;
        public long LastTicks;
    }

    /// <summary>Counts one pull (by <paramref name="username"/>, null for anonymous). No allocation once the key has been seen since the last flush.</summary>
    public void Record(string repository, Digest digest, string? tag, string? username = null)
    {
        var now = clock.GetUtcNow().UtcTicks;
        lock (_gate)
        {
            var key = new PullKey(repository, digest, tag, username);
            ref var tally = ref CollectionsMarshal.GetValueRefOrAddDefault(_pending, key, out var existed);
            if (!existed && _pending.Count > MaxPending)
            {
                _pending.Remove(key);
                _dropped++;
                return;
            }
            tally.Count++;
            tally.LastTicks = now;
        }
    }

    /// <summary>Pulls counted and not yet written (for tests and diagnostics).</summary>
    public int PendingKeys
    {
        get { lock (_gate) return _pending.Count; }
    }

    /// <summary>Writes what has been counted so far in one batch; on failure keeps it for the next flush.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            Dictionary<PullKey, Tally> batch;
            long dropped;
            lock (_gate)
            {
                if (_pending.Count == 0) return;
                batch = _pending;
                _pending = _spare;
                dropped = _dropped;
                _dropped = 0;
            }
            if (dropped > 0) logger.LogWarning("{Dropped} pulls were not counted: more than {Max} distinct artifacts pulled between flushes", dropped, MaxPending);

            // Pull statistics per artifact and tag, whoever pulled.
            var records = batch
                .GroupBy(p => (p.Key.Repository, p.Key.Digest, p.Key.Tag))
                .Select(g => new PullRecord(g.Key.Repository, g.Key.Digest, g.Key.Tag,
                    new DateTimeOffset(g.Max(p => p.Value.LastTicks), TimeSpan.Zero), g.Sum(p => p.Value.Count)))
                .ToList();
            var written = false;
            try
            {
                await queries.RecordPullsAsync(records, cancellationToken);
                written = true;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Could not record {Count} pull tallies; keeping them for the next flush", records.Count);
                Restore(batch);
            }
            if (written) await AuditAndNotifyAsync(batch, cancellationToken);
            batch.Clear();
            lock (_gate) _spare = batch;
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>
    /// The batch's audit entries (operation "pull", resource "project/repo:tag" or "@digest") and
    /// PULL_ARTIFACT events. Counts already written are not retried, so a failure here is logged only.
    /// </summary>
    private async Task AuditAndNotifyAsync(Dictionary<PullKey, Tally> batch, CancellationToken cancellationToken)
    {
        if (identity is null || (audit is null && outbox is null)) return;
        try
        {
            var projects = new Dictionary<string, ProjectRecord?>(StringComparer.Ordinal);
            var entries = new List<AuditRecord>(batch.Count);
            var events = new List<Grains.Policies.RegistryEvent>(batch.Count);
            foreach (var (key, tally) in batch)
            {
                var projectName = key.Repository.Split('/')[0];
                if (!projects.TryGetValue(projectName, out var project))
                    projects[projectName] = project = await identity.GetProjectAsync(projectName, cancellationToken);
                if (project is null) continue;
                var at = new DateTimeOffset(tally.LastTicks, TimeSpan.Zero);
                var user = key.Username ?? "anonymous";
                var resource = key.Tag is null ? $"{key.Repository}@{key.Digest}" : $"{key.Repository}:{key.Tag}";
                entries.Add(new AuditRecord(0, project.Id, user, resource, "artifact", "pull", "success", at));
                events.Add(new Grains.Policies.RegistryEvent(Grains.Policies.EventTypes.PullArtifact, at, user, project.Id, project.Name,
                    key.Repository, key.Digest.ToString(), key.Tag is null ? null : [key.Tag]));
            }
            if (audit is not null) await audit.AppendAuditAsync(entries, cancellationToken);
            if (outbox is not null) await outbox.AppendAsync(events, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not write the audit entries and events of {Count} pulls", batch.Count);
        }
    }

    /// <summary>Puts a batch that was not written back into the pending tallies.</summary>
    private void Restore(Dictionary<PullKey, Tally> batch)
    {
        lock (_gate)
        {
            foreach (var (key, old) in batch)
            {
                ref var tally = ref CollectionsMarshal.GetValueRefOrAddDefault(_pending, key, out var existed);
                if (!existed && _pending.Count > MaxPending)
                {
                    _pending.Remove(key);
                    _dropped += old.Count;
                    continue;
                }
                tally.Count += old.Count;
                tally.LastTicks = Math.Max(tally.LastTicks, old.LastTicks);
            }
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(TimeSpan.FromSeconds(Math.Max(0.1, options.Value.PullFlushSeconds)), clock, FlushAsync, logger, "Flushing pull tallies failed", stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not record the last pull tallies at shutdown");
        }
    }

    public override void Dispose()
    {
        _flushing.Dispose();
        base.Dispose();
    }
}
