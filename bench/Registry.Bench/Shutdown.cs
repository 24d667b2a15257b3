using System.Runtime.InteropServices;

namespace Registry.Bench;

/// <summary>
/// Turns Ctrl+C and SIGTERM into cancellation so that <c>finally</c> blocks stop the servers;
/// a second signal, or a process exit, kills the registered children at once.
/// </summary>
/// <remarks>
/// Children are our registry processes and distribution (<see cref="ChildProcess"/>) and, for the
/// distributed profile, PostgreSQL, Redis and Azurite (<see cref="BackingService"/>).
/// </remarks>
public sealed class Shutdown : IDisposable
{
    static readonly List<IKillable> Children = [];
    readonly CancellationTokenSource cts = new();
    readonly PosixSignalRegistration[] registrations;

    Shutdown()
    {
        registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillChildren();
    }

    public CancellationToken Token => cts.Token;

    public static Shutdown Install() => new();

    public static void Track(IKillable child)
    {
        lock (Children)
        {
            Children.Add(child);
        }
    }

    public static void Untrack(IKillable child)
    {
        lock (Children)
        {
            Children.Remove(child);
        }
    }

    void OnSignal(PosixSignalContext context)
    {
        if (cts.IsCancellationRequested)
        {
            KillChildren();
            return;
        }
        Console.Error.WriteLine($"bench: {context.Signal}, stopping...");
        context.Cancel = true;
        cts.Cancel();
    }

    static void KillChildren()
    {
        lock (Children)
        {
            foreach (var child in Children)
            {
                child.Kill();
            }
        }
    }

    public void Dispose()
    {
        foreach (var r in registrations)
        {
            r.Dispose();
        }
        cts.Dispose();
    }
}

/// <summary>Something <see cref="Shutdown"/> kills (with its process tree) when the bench must stop at once.</summary>
public interface IKillable
{
    void Kill();
}

/// <summary>A failure that ends the bench with a message rather than a stack trace.</summary>
public sealed class BenchException(string message) : Exception(message);
