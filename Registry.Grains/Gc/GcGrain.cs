using System.Text;
using Microsoft.Extensions.Logging;
using Registry.Grains.Abstractions;
using Registry.Grains.Grains;
using Registry.Grains.Metadata;
using Registry.Grains.Policies;
using Registry.Grains.Storage;

namespace Registry.Grains.Gc;

/// <summary>
/// Online mark-and-sweep over the metadata. Nothing is locked: each unreachable blob is claimed by
/// one conditional statement (the <c>deleting</c> marker, which from then on refuses new links),
/// unlinked through every repository grain linking it (which refuses while one of its manifests
/// references it, so a racing push either kept the blob or gets MANIFEST_BLOB_UNKNOWN), and only
/// then deleted from the blob store and the metadata.
/// </summary>
internal sealed class GcGrain(IGcStore store, IBlobStore blobs, TimeProvider clock, ILogger<GcGrain> logger) : Grain, IGcGrain, IRemindable
{
    public const string ReminderName = "gc-schedule";
    private const int Batch = 500;
    private const int LogLimit = 1 << 20;

    private Run? _run;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // No other activation exists, so a run still marked Running was cut off with its node.
        await BackingFailures.GuardAsync(() => store.FailInterruptedAsync(cancellationToken));
    }

    async Task<long?> IGcGrain.StartAsync(GcParameters parameters, string jobKind)
    {
        if (_run is { Done.IsCompleted: false }) return null;
        var workers = Math.Clamp(parameters.Workers, 1, GcParameters.MaxWorkers);
        var p = parameters with { Workers = workers, TimeWindowHours = Math.Max(0, parameters.TimeWindowHours) };
        var id = await store.CreateRunAsync(jobKind, p.DryRun, p.DeleteUntagged, p.Workers, p.TimeWindowHours);
        var run = new Run(id, p, clock);
        _run = run;
        // Keep the activation (and so the run) alive however long the run takes.
        DelayDeactivation(TimeSpan.FromDays(1));
        run.Done = RunAsync(run);
        return id;
    }

    Task<bool> IGcGrain.StopAsync(long id)
    {
        if (_run is not { } run || run.Id != id || run.Done.IsCompleted) return Task.FromResult(false);
        run.Stop.Cancel();
        return Task.FromResult(true);
    }

    Task IGcGrain.WaitAsync(long id) => _run is { } run && run.Id == id ? run.Done : Task.CompletedTask;

    async Task IGcGrain.SetScheduleAsync(string type, string? cron, GcParameters parameters)
    {
        var schedule = new JobSchedule(type, cron);
        var now = clock.GetUtcNow();
        var existing = await store.GetScheduleAsync();
        await store.SaveScheduleAsync(new GcScheduleRecord(type, cron, parameters.DryRun, parameters.DeleteUntagged,
            Math.Clamp(parameters.Workers, 1, GcParameters.MaxWorkers), Math.Max(0, parameters.TimeWindowHours), schedule.NextAfter(now),
            existing?.CreatedAt ?? now, now));
        if (schedule.EffectiveCron is not null) await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        else if (await this.GetReminder(ReminderName) is { } reminder) await this.UnregisterReminder(reminder);
    }

    async Task<long?> IGcGrain.RunDueAsync(DateTimeOffset now)
    {
        if (await store.GetScheduleAsync() is not { NextRunAt: { } due } schedule || due > now) return null;
        await store.SaveScheduleAsync(schedule with { NextRunAt = new JobSchedule(schedule.Type, schedule.Cron).NextAfter(now) });
        var id = await ((IGcGrain)this).StartAsync(new GcParameters(schedule.DryRun, schedule.DeleteUntagged, schedule.Workers, schedule.TimeWindowHours), "SCHEDULE");
        if (id is null) logger.LogWarning("Scheduled garbage collection skipped: a run is still going");
        return id;
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ReminderName) await ((IGcGrain)this).RunDueAsync(clock.GetUtcNow());
    }

    private async Task RunAsync(Run run)
    {
        // Let StartAsync answer first; the run continues on this activation.
        await Task.Yield();
        var p = run.Parameters;
        var status = "Success";
        var started = clock.GetUtcNow();
        try
        {
            run.Log($"garbage collection {run.Id} started: dry_run={p.DryRun}, delete_untagged={p.DeleteUntagged}, workers={p.Workers}, time_window={p.TimeWindowHours}h");
            await store.UpdateRunAsync(run.Id, "Running", 0, 0, 0, run.Text, ended: false);
            if (p.DeleteUntagged) await DeleteUntaggedAsync(run);
            await SweepUploadsAsync(run);
            await SweepBlobsAsync(run, started - TimeSpan.FromHours(p.TimeWindowHours));
            run.Log($"{(p.DryRun ? "dry run: would free" : "freed")} {run.Blobs} blobs, {run.Bytes} bytes; " +
                $"{(p.DryRun ? "would move" : "moved")} {run.Manifests} untagged manifests to the recycle bin; took {(clock.GetUtcNow() - started).TotalSeconds:0.###} s");
        }
        catch (OperationCanceledException) when (run.Stop.IsCancellationRequested)
        {
            status = "Stopped";
            run.Log($"stopped on request after freeing {run.Blobs} blobs, {run.Bytes} bytes");
        }
        catch (Exception e)
        {
            status = "Error";
            run.Log($"failed: {e.Message}");
            logger.LogError(e, "Garbage collection {Run} failed", run.Id);
        }
        try { await store.UpdateRunAsync(run.Id, status, run.Blobs, run.Bytes, run.Manifests, run.Text, ended: true); }
        catch (Exception e) { logger.LogError(e, "Could not record the end of garbage collection {Run}", run.Id); }
        DelayDeactivation(TimeSpan.Zero);
    }

    /// <summary>
    /// Harbor deletes untagged artifacts outright; here they go through the repository grain into the
    /// recycle bin (restorable until it expires), so their blobs are freed by a GC after the bin purges them.
    /// </summary>
    private async Task DeleteUntaggedAsync(Run run)
    {
        foreach (var (repository, digest) in await store.ListUntaggedAsync(run.Stop.Token))
        {
            run.Stop.Token.ThrowIfCancellationRequested();
            if (run.Parameters.DryRun)
            {
                run.Manifests++;
                run.Log($"would delete untagged manifest {repository}@{digest}");
                continue;
            }
            if (await GrainFactory.GetGrain<IRepositoryGrain>(repository).DeleteManifestAsync(digest.ToString(), "gc"))
            {
                run.Manifests++;
                run.Log($"deleted untagged manifest {repository}@{digest}");
            }
        }
    }

    /// <summary>Abandoned upload sessions (untouched for the upload sweeper's timeout) go too.</summary>
    private async Task SweepUploadsAsync(Run run)
    {
        if (run.Parameters.DryRun) { run.Log("dry run: abandoned uploads left for a real run"); return; }
        var swept = await GrainFactory.GetGrain<IUploadSweeperGrain>(IUploadSweeperGrain.Key).SweepAsync(clock.GetUtcNow() - UploadSweeperGrain.DefaultTimeout);
        run.Log($"abandoned uploads: {swept.SessionsClosed} sessions closed, {swept.FilesDeleted} files deleted, {swept.BytesFreed} bytes freed");
    }

    private async Task SweepBlobsAsync(Run run, DateTimeOffset cutoff)
    {
        string? after = null;
        while (true)
        {
            var batch = await store.ListCandidatesAsync(cutoff, after, Batch, run.Stop.Token);
            if (batch.Count == 0) return;
            after = batch[^1].Digest.ToString();
            if (run.Parameters.DryRun)
            {
                foreach (var candidate in batch)
                {
                    run.Blobs++;
                    run.Bytes += candidate.Size;
                    run.Log($"would delete blob {candidate.Digest} ({candidate.Size} bytes)");
                }
            }
            else
            {
                // Workers share the batch; they interleave on this activation, so the counters need no lock.
                var next = 0;
                await Task.WhenAll(Enumerable.Range(0, run.Parameters.Workers).Select(async _ =>
                {
                    while (next < batch.Count)
                    {
                        run.Stop.Token.ThrowIfCancellationRequested();
                        var candidate = batch[next++];
                        if (!await CollectAsync(run, candidate, cutoff)) continue;
                        run.Blobs++;
                        run.Bytes += candidate.Size;
                    }
                }));
            }
            await store.UpdateRunAsync(run.Id, "Running", run.Blobs, run.Bytes, run.Manifests, run.Text, ended: false);
        }
    }

    private async Task<bool> CollectAsync(Run run, GcCandidate candidate, DateTimeOffset cutoff)
    {
        var digest = candidate.Digest;
        if (!await store.MarkAsync(digest, cutoff))
        {
            run.Log($"kept blob {digest}: linked or referenced again since it was listed");
            return false;
        }
        try
        {
            foreach (var repository in await store.ListLinksAsync(digest))
            {
                if (await GrainFactory.GetGrain<IRepositoryGrain>(repository).UnlinkUnreferencedBlobAsync(digest)) continue;
                await store.UnmarkAsync(digest);
                run.Log($"kept blob {digest}: a manifest pushed to {repository} references it now");
                return false;
            }
        }
        catch
        {
            await store.UnmarkAsync(digest);
            throw;
        }
        // Unlinked everywhere and refused to new links: the bytes, then the row.
        await blobs.DeleteAsync(digest);
        await store.DeleteMarkedAsync(digest);
        run.Log($"deleted blob {digest} ({candidate.Size} bytes)");
        return true;
    }

    private sealed class Run(long id, GcParameters parameters, TimeProvider clock)
    {
        private readonly StringBuilder _log = new();

        public long Id { get; } = id;
        public GcParameters Parameters { get; } = parameters;
        public CancellationTokenSource Stop { get; } = new();
        public Task Done { get; set; } = Task.CompletedTask;
        public long Blobs { get; set; }
        public long Bytes { get; set; }
        public long Manifests { get; set; }
        public string Text => _log.ToString();

        public void Log(string line)
        {
            if (_log.Length > LogLimit) return;
            _log.Append(clock.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture)).Append(' ').Append(line).Append('\n');
            if (_log.Length > LogLimit) _log.Append("… log truncated\n");
        }
    }
}
