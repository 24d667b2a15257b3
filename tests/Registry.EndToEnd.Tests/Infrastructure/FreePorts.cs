using System.Net;
using System.Net.Sockets;

namespace Registry.EndToEnd.Tests.Infrastructure;

/// <summary>Free loopback ports for servers the tests start.</summary>
public static class FreePorts
{
    /// <summary>
    /// Distinct free ports below Linux's ephemeral range (32768-60999), never handed out twice in
    /// this test run: a port the kernel picked for us could be picked again for another process's
    /// outgoing connection before our server binds it.
    /// </summary>
    public static int[] Take(int count)
    {
        var ports = new int[count];
        for (var i = 0; i < count; i++)
        {
            ports[i] = TakeOne();
        }
        return ports;
    }

    private static int TakeOne()
    {
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = Random.Shared.Next(20000, 32000);
            lock (HandedOut)
            {
                if (HandedOut.Contains(port) || !IsFree(port)) continue;
                HandedOut.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException("no free port found");
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
