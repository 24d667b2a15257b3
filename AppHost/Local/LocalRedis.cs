using System.Diagnostics;

namespace Registry.AppHost.Local;

/// <summary>
/// redis-server on a loopback port, persisting to an append-only file under its data directory
/// so that a restart keeps data-protection keys and reminders.
/// </summary>
public sealed class LocalRedis(string dataDirectory, int port = 0) : LocalServer("redis", dataDirectory, port)
{
    public const string Package = "apt-get install redis-server";

    public override string ConnectionString => $"127.0.0.1:{Port}";

    protected override ProcessStartInfo StartInfo()
    {
        var info = new ProcessStartInfo(Require("redis-server", Package, "/usr/bin/redis-server"));
        foreach (var arg in new[]
        {
            "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", DataDirectory,
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning",
        })
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }
}
