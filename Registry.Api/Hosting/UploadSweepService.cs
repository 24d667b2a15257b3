using Microsoft.Extensions.Options;
using Registry.Grains.Abstractions;

namespace Registry.Api.Hosting;

/// <summary>
/// Asks the cluster's upload sweeper, on every node and on a timer, to remove uploads untouched
/// for <see cref="RegistryOptions.UploadTimeoutHours"/>. The sweeper grain has one activation,
/// so several nodes asking at once cost one sweep.
/// </summary>
public sealed class UploadSweepService(IGrainFactory grains, IOptions<RegistryOptions> options, TimeProvider clock, ILogger<UploadSweepService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(Math.Max(1, settings.UploadSweepIntervalMinutes)), clock);
        do
        {
            try
            {
                var cutoff = clock.GetUtcNow() - TimeSpan.FromHours(settings.UploadTimeoutHours);
                var result = await grains.GetGrain<IUploadSweeperGrain>(IUploadSweeperGrain.Key).SweepAsync(cutoff);
                if (result.FilesDeleted + result.SessionsClosed > 0)
                {
                    logger.LogInformation("Swept abandoned uploads: {Sessions} sessions closed, {Files} files deleted, {Bytes} bytes freed",
                        result.SessionsClosed, result.FilesDeleted, result.BytesFreed);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Upload sweep failed; retrying at the next interval");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
