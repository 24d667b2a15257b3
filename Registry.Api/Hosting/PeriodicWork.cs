namespace Registry.Api.Hosting;

/// <summary>
/// The loops of the node's background services. <see cref="RunAsync"/>: the periodic ones (pull flushes, webhook dispatch, audit
/// purge checks): run <c>work</c> on every tick until the host stops; a failed round is logged
/// and the next tick tries again.
/// </summary>
public static class PeriodicWork
{
    public static async Task RunAsync(TimeSpan interval, TimeProvider clock, Func<CancellationToken, Task> work, ILogger logger, string failure,
        CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await work(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "{Failure}", failure);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Start-up work that needs the cluster and the stores (registering a reminder, a first sweep):
    /// retried with a growing delay (5 s up to a minute) until it succeeds or the host stops.
    /// </summary>
    public static async Task RetryUntilDoneAsync(Func<Task> work, ILogger logger, string what, CancellationToken stoppingToken)
    {
        for (var attempt = 0; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await work();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The cluster or a store may still be coming up: try again shortly.
                logger.LogWarning(e, "{What} failed (attempt {Attempt}); retrying", what, attempt + 1);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(60, 5 << Math.Min(attempt, 4))), stoppingToken);
            }
        }
    }
}
