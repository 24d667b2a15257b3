using Registry.Grains.Abstractions;

namespace Registry.Api.Hosting;

/// <summary>
/// At start, every node purges expired recycle bin entries once and (re)registers the sweeper's
/// reminder, which then purges every few minutes on whichever node hosts it.
/// </summary>
public sealed class RecycleBinSweepService(IGrainFactory grains, ILogger<RecycleBinSweepService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RetryUntilDoneAsync(async () =>
        {
            var sweeper = grains.GetGrain<IRecycleBinSweeperGrain>(IRecycleBinSweeperGrain.Key);
            await sweeper.ScheduleAsync(Interval);
            await sweeper.PurgeExpiredAsync();
        }, logger, "Scheduling the recycle bin purge", stoppingToken);
}
