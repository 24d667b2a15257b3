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

    /// <summary>A port <c>p</c> such that <c>p</c> and <c>p + 1</c> are both free (for services numbered from a base port).</summary>
    public static int TakePair()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Take(1)[0];
            if (port < 65535 && IsFree(port + 1)) return port;
        }
        throw new InvalidOperationException("no two consecutive free ports found");
    }

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
