using Microsoft.Extensions.Options;
using Registry.Grains.Abstractions;

namespace Registry.Api.Hosting;

/// <summary>
/// At start, every node sweeps abandoned uploads once and (re)registers the sweeper's reminder,
/// which then runs every <see cref="RegistryOptions.UploadSweepIntervalMinutes"/> on whichever node
/// hosts the sweeper (one activation per cluster), removing uploads untouched for
/// <see cref="RegistryOptions.UploadTimeoutHours"/>.
/// </summary>
public sealed class UploadSweepService(IGrainFactory grains, IOptions<RegistryOptions> options, TimeProvider clock, ILogger<UploadSweepService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var sweeper = grains.GetGrain<IUploadSweeperGrain>(IUploadSweeperGrain.Key);
        var timeout = TimeSpan.FromHours(settings.UploadTimeoutHours);
        var interval = TimeSpan.FromMinutes(Math.Max(1, settings.UploadSweepIntervalMinutes));
        return PeriodicWork.RetryUntilDoneAsync(async () =>
        {
            await sweeper.ScheduleAsync(interval, timeout);
            var result = await sweeper.SweepAsync(clock.GetUtcNow() - timeout);
            if (result.FilesDeleted + result.SessionsClosed > 0)
            {
                logger.LogInformation("Swept abandoned uploads: {Sessions} sessions closed, {Files} files deleted, {Bytes} bytes freed",
                    result.SessionsClosed, result.FilesDeleted, result.BytesFreed);
            }
        }, logger, "Scheduling the upload sweep", stoppingToken);
    }
}
