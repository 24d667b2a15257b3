using Registry.Grains.Abstractions;

namespace Registry.Api.Hosting;

/// <summary>
/// At start, every node (re)registers the retention scheduler's reminder, which then ticks every
/// minute on whichever node hosts the scheduler and starts the policies whose cron is due.
/// </summary>
public sealed class RetentionScheduleService(IGrainFactory grains, ILogger<RetentionScheduleService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RetryUntilDoneAsync(() => grains.GetGrain<IRetentionSchedulerGrain>(IRetentionSchedulerGrain.Key).ScheduleAsync(),
            logger, "Scheduling tag retention", stoppingToken);
}
