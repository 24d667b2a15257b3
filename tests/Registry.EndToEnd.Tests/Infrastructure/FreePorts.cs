using System.Net;
using System.Net.Sockets;

namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>Asks the kernel for distinct free loopback ports (all held open together so none repeats).</summary>
public static class FreePorts
{
    public static int[] Take(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    /// <summary>
    /// A port <c>p</c> such that <c>p</c> and <c>p + 1</c> are both free (for services numbered from a
    /// base port), chosen below Linux's ephemeral range (32768-60999) so that no outgoing
    /// connection of another process can take <c>p + 1</c> before the service binds it.
    /// </summary>
    public static int TakePair()
    {
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = Random.Shared.Next(20000, 32000);
            lock (HandedOut)
            {
                // Not yet bound is not the same as not taken: never hand out a port twice.
                if (HandedOut.Contains(port) || HandedOut.Contains(port + 1) || !IsFree(port) || !IsFree(port + 1)) continue;
                HandedOut.Add(port);
                HandedOut.Add(port + 1);
                return port;
            }
        }
        throw new InvalidOperationException("no two consecutive free ports found");
    }

    private static readonly HashSet<int> HandedOut = [];

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
