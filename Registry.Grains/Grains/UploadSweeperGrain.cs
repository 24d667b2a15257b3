using Microsoft.Extensions.Logging;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;
using Registry.Grains.Storage;

namespace Registry.Grains.Grains;

/// <summary>
/// An upload is abandoned when neither its session started nor its bytes were written after the
/// cutoff. Each is closed through its own session grain, so a writer holding it sees it vanish
/// the same way a client's DELETE would look.
/// </summary>
internal sealed class UploadSweeperGrain(IUploadStore uploads, IBlobStore blobs, TimeProvider clock, ILogger<UploadSweeperGrain> logger)
    : Grain, IUploadSweeperGrain, IRemindable
{
    public const string ReminderName = "sweep-uploads";
    private const int Batch = 10_000;

    async Task IUploadSweeperGrain.ScheduleAsync(TimeSpan interval, TimeSpan timeout)
    {
        // The period lives in the reminder; the timeout is configuration, given again by every node at start.
        _timeout = timeout;
        await this.RegisterOrUpdateReminder(ReminderName, interval, interval);
    }

    private TimeSpan? _timeout;

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName) return;
        var result = await ((IUploadSweeperGrain)this).SweepAsync(clock.GetUtcNow() - (_timeout ?? DefaultTimeout));
        if (result.FilesDeleted + result.SessionsClosed > 0)
        {
            logger.LogInformation("Swept abandoned uploads: {Sessions} sessions closed, {Files} files deleted, {Bytes} bytes freed",
                result.SessionsClosed, result.FilesDeleted, result.BytesFreed);
        }
    }

    /// <summary>Used when a reminder fires on an activation that no node has configured yet.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromHours(24);

    async Task<UploadSweepResult> IUploadSweeperGrain.SweepAsync(DateTimeOffset cutoff)
    {
        var closed = 0;
        var deleted = 0;
        long freed = 0;
        var recent = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var stored in blobs.ListUploadsAsync())
        {
            if (stored.LastWrite >= cutoff) { recent.Add(stored.Id); continue; }
            var session = await uploads.GetAsync(stored.Id);
            if (session is not null && session.StartedAt >= cutoff) { recent.Add(stored.Id); continue; }
            if (session is not null && await CloseAsync(session)) closed++;
            await blobs.DeleteUploadAsync(stored.Id);
            deleted++;
            freed += stored.Size;
        }

        // Sessions that never stored a byte and started before the cutoff; a very long backlog is
        // finished by the next sweep.
        foreach (var session in await uploads.ListStartedBeforeAsync(cutoff, Batch))
        {
            if (recent.Contains(session.Id)) continue;
            if (await CloseAsync(session)) closed++;
            await blobs.DeleteUploadAsync(session.Id);
        }
        return new UploadSweepResult(closed, deleted, freed);
    }

    private async Task<bool> CloseAsync(UploadRecord session)
    {
        if (await GrainFactory.GetGrain<IUploadSessionGrain>(session.Id).CloseAsync(session.Repository)) return true;
        await uploads.DeleteAsync(session.Id);
        return false;
    }
}
