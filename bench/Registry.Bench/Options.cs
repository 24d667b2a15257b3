using Registry.Bench.Workloads;

namespace Registry.Bench;

/// <summary>
/// How our registry runs: one embedded node (SQLite + filesystem), or the distributed profile: two
/// nodes in one Orleans cluster over local PostgreSQL, Redis and Azurite.
/// </summary>
public enum Profile
{
    Embedded,
    Distributed,
}

/// <summary>Command-line options; <c>--quick</c> shrinks every workload for a smoke run.</summary>
public sealed record Options
{
    public int SizeMiB { get; init; } = 512;
    public int SmallCount { get; init; } = 2000;
    public int SmallConcurrency { get; init; } = 16;
    public int DurationSeconds { get; init; } = 10;
    public int ManifestConcurrency { get; init; } = 32;
    public int MemoryMiB { get; init; } = 1024;
    public int MixBudgetMiB { get; init; } = 200;
    public int Rounds { get; init; } = 3;
    public bool Quick { get; init; }
    public string LoadGenerator { get; init; } = Wrk.IsInstalled ? "wrk" : "http";
    public string ApiDll { get; init; } = "";
    public string OutputPath { get; init; } = "";
    public string DistributionBinary { get; init; } = "/usr/bin/docker-registry";
    public IReadOnlySet<int>? Only { get; init; }

    /// <summary>The profiles to run, in order; each is a section of the report with its own servers.</summary>
    public IReadOnlyList<Profile> Profiles { get; init; } = [Profile.Embedded];

    /// <summary>Hidden test mode: a second distribution stands in for ours.</summary>
    public bool PeerOnly { get; init; }

    public static string RepoRoot { get; } = FindRepoRoot();

    public static Options? Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        var o = quick
            ? new Options { Quick = true, SizeMiB = 64, SmallCount = 200, DurationSeconds = 3, MemoryMiB = 128, MixBudgetMiB = 20, Rounds = 1 }
            : new Options();
        o = o with
        {
            ApiDll = Path.Combine(RepoRoot, "Registry.Api", "bin", "Release", "net10.0", "Registry.Api.dll"),
            OutputPath = Path.Combine(RepoRoot, "bench", "results", "latest.md"),
        };
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt() => int.TryParse(Next(), out var v) && v > 0 ? v : throw new ArgumentException($"{args[i - 1]} needs a positive integer");
            try
            {
                o = args[i] switch
                {
                    "--quick" => o,
                    "--size-mb" => o with { SizeMiB = NextInt() },
                    "--small-count" => o with { SmallCount = NextInt() },
                    "--small-concurrency" => o with { SmallConcurrency = NextInt() },
                    "--duration" => o with { DurationSeconds = NextInt() },
                    "--manifest-concurrency" => o with { ManifestConcurrency = NextInt() },
                    "--memory-mb" => o with { MemoryMiB = NextInt() },
                    "--mix-budget-mb" => o with { MixBudgetMiB = NextInt() },
                    "--rounds" => o with { Rounds = NextInt() },
                    "--load-generator" => o with { LoadGenerator = Next() is var g && g is "wrk" or "http" ? g : throw new ArgumentException("--load-generator is wrk or http") },
                    "--api-dll" => o with { ApiDll = Path.GetFullPath(Next()) },
                    "--distribution" => o with { DistributionBinary = Next() },
                    "--out" => o with { OutputPath = Path.GetFullPath(Next()) },
                    "--only" => o with { Only = Next().Split(',').Select(int.Parse).ToHashSet() },
                    "--profile" => o with { Profiles = ParseProfiles(Next()) },
                    "--distributed" => o with { Profiles = [Profile.Distributed] },
                    "--peer-only" => o with { PeerOnly = true },
                    "-h" or "--help" => throw new ArgumentException(""),
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                if (e.Message.Length > 0)
                {
                    Console.Error.WriteLine($"bench: {e.Message}");
                }
                Console.Error.WriteLine(Usage);
                return null;
            }
        }
        if (o.LoadGenerator == "wrk" && !Wrk.IsInstalled)
        {
            Console.Error.WriteLine("bench: wrk is not installed (apt-get install wrk); use --load-generator http");
            return null;
        }
        return o;
    }

    public bool Runs(int workload) => Only is null || Only.Contains(workload);

    static IReadOnlyList<Profile> ParseProfiles(string value) => value switch
    {
        "embedded" => [Profile.Embedded],
        "distributed" => [Profile.Distributed],
        "all" => [Profile.Embedded, Profile.Distributed],
        _ => throw new ArgumentException("--profile is embedded, distributed or all"),
    };

    const string Usage = """
        usage: Registry.Bench [options]
          --size-mb N              big blob size in MiB (default 512)
          --small-count N          number of small blobs (default 2000)
          --small-concurrency N    parallel small pushes (default 16)
          --duration S             seconds of manifest GETs (default 10)
          --manifest-concurrency N connections for manifest GETs (default 32)
          --memory-mb N            blob size of the memory workload (default 1024)
          --mix-budget-mb N        MiB per size class and mode in the zot-style mix (default 200)
          --rounds N               interleaved rounds per workload; the table shows medians (default 3)
          --load-generator wrk|http  manifest GET client (default wrk when installed)
          --api-dll PATH           Registry.Api.dll (default <repo>/Registry.Api/bin/Release/net10.0/)
          --distribution PATH      distribution binary (default /usr/bin/docker-registry)
          --out PATH               markdown result (default <repo>/bench/results/latest.md)
          --only 1,2,...           run only these workloads (1-6)
          --profile P              embedded (default): one node, SQLite + filesystem;
                                   distributed: two nodes over local PostgreSQL, Redis and Azurite;
                                   all: embedded, then distributed (two sections)
          --distributed            same as --profile distributed
          --quick                  small sizes for a smoke run
        """;

    static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "global.json")) || File.Exists(Path.Combine(dir.FullName, "Registry.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
