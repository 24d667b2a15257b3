namespace Registry.AppHost;

/// <summary>
/// Command-line options, parsed by hand: the AppHost has no package dependencies so that it
/// builds wherever the services do.
/// </summary>
internal sealed record AppHostOptions
{
    public string Profile { get; init; } = "embedded";
    public int ApiPort { get; init; } = 5000;
    public int PortalPort { get; init; } = 5080;
    public int SiloPort { get; init; } = 11111;
    public int GatewayPort { get; init; } = 30000;
    public string? DataPath { get; init; }
    public int PostgresPort { get; init; } = 15432;
    public int RedisPort { get; init; } = 16379;
    public int AzuritePort { get; init; } = 10000;
    public bool StartApi { get; init; } = true;
    public bool StartPortal { get; init; } = true;

    public const string Help = """
        Usage: dotnet run --project AppHost [-- options]

        Starts Registry.Api and Registry.Portal, prints a resource table, stops all on Ctrl+C.

        Options:
          --profile <name>      embedded (default): SQLite, filesystem blobs, one local silo.
                                distributed: PostgreSQL (port 15432), Redis (16379) and
                                Azurite (10000) started from the installed binaries, two API
                                nodes (api port and the next one) in one Orleans cluster.
          --api-port <port>     HTTP port of the API (default 5000).
          --portal-port <port>  HTTP port of the portal (default 5080).
          --data <dir>          data directory (default: $Registry__DataPath, else
                                ./.data, or ./.data-distributed for the distributed profile).
          --silo-port <port>    Orleans silo port (default 11111).
          --gateway-port <port> Orleans gateway port (default 30000).
          --postgres-port, --redis-port, --azurite-port <port>
                                ports of the distributed profile's backing services.
          --no-portal           start the API only.
          -h, --help            show this help.

        Passed through to the API when set: OTEL_EXPORTER_OTLP_ENDPOINT, Registry__AdminPassword.
        """;

    public static ParseResult Parse(string[] args)
    {
        var options = new AppHostOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var (name, inline) = Split(args[i]);
            if (name is "-h" or "--help" or "-?")
            {
                return new ParseResult(null, 0, null);
            }

            string Value() => inline ?? (i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value"));
            try
            {
                options = name switch
                {
                    "--profile" => options with { Profile = Value() },
                    "--api-port" => options with { ApiPort = Port(name, Value()) },
                    "--portal-port" => options with { PortalPort = Port(name, Value()) },
                    "--silo-port" => options with { SiloPort = Port(name, Value()) },
                    "--gateway-port" => options with { GatewayPort = Port(name, Value()) },
                    "--data" => options with { DataPath = Value() },
                    "--postgres-port" => options with { PostgresPort = Port(name, Value()) },
                    "--redis-port" => options with { RedisPort = Port(name, Value()) },
                    "--azurite-port" => options with { AzuritePort = Port(name, Value()) },
                    "--no-portal" => options with { StartPortal = false },
                    "--no-api" => options with { StartApi = false }, // hidden: for testing the AppHost itself
                    _ => throw new UsageException($"unknown option '{args[i]}'"),
                };
            }
            catch (UsageException ex)
            {
                return new ParseResult(null, 2, ex.Message);
            }
        }

        return options.Profile switch
        {
            "embedded" or "distributed" => new ParseResult(options, 0, null),
            _ => new ParseResult(null, 2, $"unknown profile '{options.Profile}' (expected embedded or distributed)"),
        };
    }

    private static (string Name, string? Value) Split(string arg)
    {
        var eq = arg.IndexOf('=');
        return arg.StartsWith("--", StringComparison.Ordinal) && eq > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
    }

    private static int Port(string name, string value) =>
        int.TryParse(value, out var port) && port is > 0 and < 65536
            ? port
            : throw new UsageException($"{name}: '{value}' is not a port number");

    private sealed class UsageException(string message) : Exception(message);
}

/// <summary>Either options to run with, or the help or error to report and the exit code.</summary>
internal sealed record ParseResult(AppHostOptions? Options, int ExitCode, string? Error)
{
    public int Report()
    {
        if (Error is null)
        {
            Console.WriteLine(AppHostOptions.Help);
        }
        else
        {
            Console.Error.WriteLine($"apphost: {Error}");
            Console.Error.WriteLine("Run with --help for the options.");
        }

        return ExitCode;
    }
}
