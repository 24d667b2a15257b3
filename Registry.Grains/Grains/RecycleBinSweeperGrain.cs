using Microsoft.Extensions.Logging;
using Registry.Grains.Abstractions;
using Registry.Grains.Metadata;

namespace Registry.Grains.Grains;

/// <summary>
/// Purges expired recycle bin entries on a reminder. The entries hold no bytes of their own, so a
/// purge only deletes rows; what they referenced becomes garbage for the next GC.
/// </summary>
internal sealed class RecycleBinSweeperGrain(IRecycleBinStore bin, TimeProvider clock, ILogger<RecycleBinSweeperGrain> logger)
    : Grain, IRecycleBinSweeperGrain, IRemindable
{
    public const string ReminderName = "purge-recycle-bin";

    Task IRecycleBinSweeperGrain.ScheduleAsync(TimeSpan interval) => this.RegisterOrUpdateReminder(ReminderName, interval, interval);

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName) return;
        await ((IRecycleBinSweeperGrain)this).PurgeExpiredAsync();
    }

    async Task<int> IRecycleBinSweeperGrain.PurgeExpiredAsync()
    {
        var purged = await bin.PurgeExpiredAsync(clock.GetUtcNow());
        if (purged > 0) logger.LogInformation("Purged {Count} expired recycle bin entries", purged);
        return purged;
    }
}
