using Registry.Grains.Abstractions;

namespace Registry.Api.Hosting;

/// <summary>
/// At start, every node (re)registers the retention scheduler's reminder, which then ticks every
/// minute on whichever node hosts the scheduler and starts the policies whose cron is due.
/// </summary>
public sealed class RetentionScheduleService(IGrainFactory grains, ILogger<RetentionScheduleService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 0; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await grains.GetGrain<IRetentionSchedulerGrain>(IRetentionSchedulerGrain.Key).ScheduleAsync();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The cluster may still be coming up: try again shortly.
                logger.LogWarning(e, "Scheduling tag retention failed (attempt {Attempt}); retrying", attempt + 1);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(60, 5 << Math.Min(attempt, 4))), stoppingToken);
            }
        }
    }
}
