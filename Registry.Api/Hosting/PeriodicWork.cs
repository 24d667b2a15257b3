namespace Registry.Api.Hosting;

/// <summary>
/// The loop of the node's periodic background services (pull flushes, webhook dispatch, audit
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
}
