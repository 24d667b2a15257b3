using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;

namespace Registry.AppHost.Local;

/// <summary>
/// PostgreSQL on a loopback port, its cluster under <c>&lt;data directory&gt;/pgdata</c> (created by
/// initdb on first start: trust authentication for loopback connections, user <c>postgres</c>, no
/// password, UTF-8, C locale), run in the foreground with the server's defaults except
/// <c>max_connections=200</c> and no Unix socket. The database <see cref="Database"/> is created
/// after the first start.
/// <para>
/// Binaries come from the highest version under <c>/usr/lib/postgresql/*/bin</c>, else PATH.
/// initdb and postgres refuse to run as root: when this process is root they run as the
/// <c>postgres</c> system user (via setpriv), the data directory is given to that user, and
/// directories above it that others cannot search get the search (x) bit for others.
/// </para>
/// <para>
/// Stopping uses SIGINT, PostgreSQL's fast shutdown: SIGTERM (smart shutdown) would wait for every
/// pooled client connection to close.
/// </para>
/// </summary>
public sealed partial class LocalPostgres(string dataDirectory, int port = 0) : LocalServer("postgres", dataDirectory, port)
{
    public const string Package = "apt-get install postgresql";

    /// <summary>The superuser initdb creates; loopback connections need no password.</summary>
    public const string User = "postgres";

    /// <summary>The database the registry uses, created after the first start.</summary>
    public const string Database = "registry";

    private const string SystemUser = "postgres";
    private string? _binDirectory;

    public override string ConnectionString => ConnectionStringFor(Database);

    /// <summary>The cluster's directory (PGDATA).</summary>
    public string ClusterDirectory => Path.Combine(DataDirectory, "pgdata");

    /// <summary>A connection string for <paramref name="database"/> on this server.</summary>
    public string ConnectionStringFor(string database) => $"Host=127.0.0.1;Port={Port};Username={User};Database={database}";

    /// <summary>
    /// Creates the database <paramref name="name"/> (lower-case letters, digits, underscores) on
    /// the running server, e.g. one per test class, and returns its connection string.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!DatabaseName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a plain database name ([a-z_][a-z0-9_]*, at most 63 characters)", nameof(name));
        }

        await RunAsync(Client("createdb", name), cancellationToken);
        return ConnectionStringFor(name);
    }

    protected override int StopSignal => SigInt;

    protected override async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(ClusterDirectory, "PG_VERSION")))
        {
            return;
        }

        var initdb = Server("initdb");
        if (RunAsSystemUser)
        {
            await GiveToSystemUserAsync(cancellationToken);
        }

        foreach (var arg in new[] { "-D", ClusterDirectory, "-A", "trust", "-U", User, "--encoding=UTF8", "--locale=C" })
        {
            initdb.ArgumentList.Add(arg);
        }

        await RunAsync(initdb, cancellationToken);
    }

    protected override ProcessStartInfo StartInfo()
    {
        var info = Server("postgres");
        foreach (var arg in new[]
        {
            "-D", ClusterDirectory, "-p", Port.ToString(), "-h", "127.0.0.1", "-k", "",
            "-c", "max_connections=200",
        })
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    /// <summary>
    /// After a kill, the postmaster's backends exit on their own once they notice it is gone; waits
    /// (at most 10 s) until none has its working directory in the cluster, or the next start would
    /// find the shared memory still in use and refuse.
    /// </summary>
    protected override async Task AfterStopAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (ProcessesInCluster().Any() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    private IEnumerable<int> ProcessesInCluster()
    {
        if (!Directory.Exists("/proc"))
        {
            yield break;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string? cwd;
            try
            {
                cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (cwd == ClusterDirectory)
            {
                yield return pid;
            }
        }
    }

    /// <summary>Waits until the server accepts sessions (not just TCP), then creates <see cref="Database"/> if missing.</summary>
    protected override async Task AfterStartAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var ready = Client("pg_isready", "-d", "postgres");
            var (exitCode, stdout, stderr) = await TryRunAsync(ready, cancellationToken);
            if (exitCode == 0)
            {
                break;
            }

            if (!IsRunning || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{Name} did not become ready on 127.0.0.1:{Port}: {stdout}{stderr}\n{RecentOutput}");
            }

            await Task.Delay(100, cancellationToken);
        }

        var exists = await RunAsync(
            Client("psql", "-X", "-q", "-t", "-A", "-d", "postgres", "-c", $"SELECT 1 FROM pg_database WHERE datname = '{Database}'"),
            cancellationToken);
        if (exists.Trim() != "1")
        {
            await RunAsync(Client("createdb", Database), cancellationToken);
        }
    }

    /// <summary>Whether this process is root, so that initdb and postgres must run as <see cref="SystemUser"/>.</summary>
    [UnsupportedOSPlatformGuard("windows")]
    private static bool RunAsSystemUser => !OperatingSystem.IsWindows() && Environment.IsPrivilegedProcess;

    /// <summary>A server binary (initdb, postgres), run as the postgres system user when we are root.</summary>
    private ProcessStartInfo Server(string binary)
    {
        var path = Binary(binary);
        ProcessStartInfo info;
        if (RunAsSystemUser)
        {
            info = new ProcessStartInfo(Require("setpriv", "apt-get install util-linux", "/usr/bin/setpriv"));
            foreach (var arg in new[] { $"--reuid={SystemUser}", $"--regid={SystemUser}", "--init-groups", "--", path })
            {
                info.ArgumentList.Add(arg);
            }
        }
        else
        {
            info = new ProcessStartInfo(path);
        }

        // The system user may not be able to enter our working directory.
        info.WorkingDirectory = DataDirectory;
        return info;
    }

    /// <summary>A client binary (psql, createdb, pg_isready) pointed at this server as <see cref="User"/>.</summary>
    private ProcessStartInfo Client(string binary, params string[] args)
    {
        var info = new ProcessStartInfo(Binary(binary)) { WorkingDirectory = DataDirectory };
        foreach (var arg in new[] { "-h", "127.0.0.1", "-p", Port.ToString(), "-U", User }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        // Only our arguments choose the server: no password prompt, no settings from the environment.
        info.Environment.Remove("PGSERVICE");
        info.Environment.Remove("PGOPTIONS");
        info.Environment["PGCONNECT_TIMEOUT"] = "5";
        return info;
    }

    /// <summary>A binary from the highest installed version's bin directory, else from PATH.</summary>
    private string Binary(string binary)
    {
        _binDirectory ??= HighestVersionBinDirectory();
        string[] candidates = _binDirectory is null ? [] : [Path.Combine(_binDirectory, binary)];
        return Require(binary, Package, candidates);
    }

    private static string? HighestVersionBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.EnumerateDirectories(root)
            .Select(dir => (Dir: dir, Version: ParseVersion(Path.GetFileName(dir))))
            .Where(x => x.Version is not null && File.Exists(Path.Combine(x.Dir, "bin", "postgres")))
            .OrderByDescending(x => x.Version)
            .Select(x => Path.Combine(x.Dir, "bin"))
            .FirstOrDefault();
    }

    /// <summary>"15" or "9.6" as a version; null for anything else.</summary>
    private static Version? ParseVersion(string name) =>
        Version.TryParse(name.Contains('.') ? name : name + ".0", out var version) ? version : null;

    /// <summary>Lets the postgres system user reach and own the data directory (we are root).</summary>
    [UnsupportedOSPlatform("windows")]
    private async Task GiveToSystemUserAsync(CancellationToken cancellationToken)
    {
        if (!File.ReadLines("/etc/passwd").Any(line => line.StartsWith(SystemUser + ":", StringComparison.Ordinal)))
        {
            throw new MissingServerException($"there is no '{SystemUser}' system user to run PostgreSQL as (we are root); install it with: {Package}");
        }

        for (var dir = Path.GetDirectoryName(DataDirectory); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var mode = File.GetUnixFileMode(dir);
            if (!mode.HasFlag(UnixFileMode.OtherExecute))
            {
                File.SetUnixFileMode(dir, mode | UnixFileMode.OtherExecute);
            }
        }

        var chown = new ProcessStartInfo(Require("chown", "apt-get install coreutils", "/usr/bin/chown", "/bin/chown"));
        foreach (var arg in new[] { "-R", $"{SystemUser}:", DataDirectory })
        {
            chown.ArgumentList.Add(arg);
        }

        await RunAsync(chown, cancellationToken);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex DatabaseName();
}
