using System.Runtime.InteropServices;

namespace Registry.AppHost;

/// <summary>
/// Turns Ctrl+C (SIGINT), SIGTERM, SIGQUIT and SIGHUP (terminal closed) into cancellation: the first asks for a graceful stop
/// of every child, a second one forces it.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _force = new();
    private readonly PosixSignalRegistration[] _registrations;

    public ShutdownSignal(ConsoleOutput output)
    {
        _registrations = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT, PosixSignal.SIGHUP }
            .Select(signal => PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true; // we exit on our own once the children are down
                if (_stop.IsCancellationRequested)
                {
                    output.Info("second signal: killing everything now");
                    _force.Cancel();
                }
                else
                {
                    output.Info($"{context.Signal}: stopping (again to force)");
                    _stop.Cancel();
                }
            }))];
    }

    /// <summary>Cancelled on the first signal: stop gracefully.</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>Cancelled on the second signal: stop now.</summary>
    public CancellationToken Force => _force.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
        _force.Dispose();
    }
}
