using Registry.Grains.Abstractions;

namespace Registry.Api.Hosting;

/// <summary>
/// At start, every node purges expired recycle bin entries once and (re)registers the sweeper's
/// reminder, which then purges every few minutes on whichever node hosts it.
/// </summary>
public sealed class RecycleBinSweepService(IGrainFactory grains, ILogger<RecycleBinSweepService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweeper = grains.GetGrain<IRecycleBinSweeperGrain>(IRecycleBinSweeperGrain.Key);
        for (var attempt = 0; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await sweeper.ScheduleAsync(Interval);
                await sweeper.PurgeExpiredAsync();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The cluster or a store may still be coming up: try again shortly.
                logger.LogWarning(e, "Scheduling the recycle bin purge failed (attempt {Attempt}); retrying", attempt + 1);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(60, 5 << Math.Min(attempt, 4))), stoppingToken);
            }
        }
    }
}
