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
/// </summary>
public sealed class PullRecorder(IArtifactQueries queries, TimeProvider clock, IOptions<RegistryOptions> options, ILogger<PullRecorder> logger)
    : BackgroundService
{
    public const int MaxPending = 100_000;

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private Dictionary<PullKey, Tally> _pending = [];
    private Dictionary<PullKey, Tally> _spare = [];
    private long _dropped;

    private readonly record struct PullKey(string Repository, Digest Digest, string? Tag);

    private struct Tally
    {
        public int Count;
        public long LastTicks;
    }

    /// <summary>Counts one pull. No allocation once the key has been seen since the last flush.</summary>
    public void Record(string repository, Digest digest, string? tag)
    {
        var now = clock.GetUtcNow().UtcTicks;
        lock (_gate)
        {
            ref var tally = ref CollectionsMarshal.GetValueRefOrAddDefault(_pending, new PullKey(repository, digest, tag), out var existed);
            if (!existed && _pending.Count > MaxPending)
            {
                _pending.Remove(new PullKey(repository, digest, tag));
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

            var records = new List<PullRecord>(batch.Count);
            foreach (var (key, tally) in batch)
            {
                records.Add(new PullRecord(key.Repository, key.Digest, key.Tag, new DateTimeOffset(tally.LastTicks, TimeSpan.Zero), tally.Count));
            }
            try
            {
                await queries.RecordPullsAsync(records, cancellationToken);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Could not record {Count} pull tallies; keeping them for the next flush", records.Count);
                Restore(batch);
            }
            batch.Clear();
            lock (_gate) _spare = batch;
        }
        finally
        {
            _flushing.Release();
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(0.1, options.Value.PullFlushSeconds));
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await FlushAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Flushing pull tallies failed");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

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
