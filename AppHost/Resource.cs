namespace Registry.AppHost;

/// <summary>Lifecycle of a resource as the table shows it.</summary>
internal enum ResourceState
{
    Starting,
    Running,
    Unhealthy,
    Exited,
    FailedToStart,
}

/// <summary>
/// One service the AppHost runs: what to start and how it is doing. Only the orchestrator loop
/// changes the status, so no locking is needed.
/// </summary>
internal sealed class Resource(string name, Uri url, string dll, string workingDirectory,
    IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
{
    /// <summary>How long a resource may take to answer /health before it is shown as unhealthy.</summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);

    public string Name => name;
    public Uri Url => url;
    public string Dll => dll;
    public string WorkingDirectory => workingDirectory;
    public IReadOnlyList<string> Arguments => arguments;
    public IReadOnlyDictionary<string, string> Environment => environment;

    public ChildProcess? Process { get; set; }
    public ResourceState State { get; private set; } = ResourceState.Starting;
    public string Health { get; private set; } = "Unknown";

    /// <summary>Settled = past Starting: the first full table waits until every resource is.</summary>
    public bool IsSettled => State != ResourceState.Starting;

    public bool IsGone => State is ResourceState.Exited or ResourceState.FailedToStart;

    public string StateText => State == ResourceState.Exited ? $"Exited({Process?.ExitCode})" : State.ToString();

    /// <summary>Applies one observation; returns true when the table would change.</summary>
    public bool Update(HealthResult? health)
    {
        var (oldState, oldHealth) = (State, Health);
        if (Process is null)
        {
            (State, Health) = (ResourceState.FailedToStart, "-");
        }
        else if (Process.HasExited)
        {
            (State, Health) = (ResourceState.Exited, "-");
        }
        else if (health is not null)
        {
            Health = health.Text;
            State = health.IsHealthy ? ResourceState.Running
                : State == ResourceState.Starting && DateTime.UtcNow - Process.StartedAt < StartupTimeout ? ResourceState.Starting
                : ResourceState.Unhealthy;
        }

        return oldState != State || oldHealth != Health;
    }
}
