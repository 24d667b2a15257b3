using System.Globalization;
using System.Text;
using Registry.Bench.Workloads;

namespace Registry.Bench;

/// <summary>Collects figures per side (and for "Azurite alone") of one profile and renders its markdown section.</summary>
public sealed class Report(Options options, Servers servers)
{
    readonly List<Metric> metrics = [];
    readonly Dictionary<(Metric, string), List<double>> values = [];
    readonly List<string> errors = [];
    readonly List<string> notes = [];
    readonly DateTime started = DateTime.UtcNow;

    public bool HasErrors => errors.Count > 0;

    public void Register(IEnumerable<Metric> more) => metrics.AddRange(more);

    /// <summary>The name "Azurite alone" records under.</summary>
    public const string ReferenceName = "azurite";

    public IRecorder For(string name) => new Recorder(this, name);

    public void Fail(Workload workload, string name, Exception e)
    {
        var text = e is Oci.RegistryRequestException or BenchException ? e.Message : e.ToString();
        errors.Add($"{name}, {workload.Title}: {text}");
        Console.WriteLine($"   {name,-12} FAILED: {text}");
    }

    public string ToMarkdown()
    {
        var (ours, dist) = (servers.Sides[0], servers.Sides[1]);
        var reference = servers.Reference;
        var cluster = servers.Profile == Profile.Distributed;
        var sb = new StringBuilder();
        var title = cluster ? $"Registry, distributed profile ({ours.Nodes.Count} nodes), vs distribution" : "Registry vs distribution";
        sb.AppendLine(CultureInfo.InvariantCulture, $"### {title} ({started:yyyy-MM-dd HH:mm} UTC{(options.Quick ? ", --quick" : "")})");
        sb.AppendLine();
        var storage = cluster
            ? $"ours: PostgreSQL, Redis and Azurite on the same host, their data in {Path.GetTempPath().TrimEnd('/')}; distribution: filesystem storage there"
            : $"filesystem storage in {Path.GetTempPath().TrimEnd('/')}";
        sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Cpu()}, {Environment.ProcessorCount} cores, {Ram()}; servers, client and data on one host (127.0.0.1, {storage}).");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Ours: {ours.Description}. Distribution: {dist.Description}, `log.level: error`, in-memory blob descriptor cache.");
        if (cluster)
        {
            sb.AppendLine("Load is spread over both nodes: the big blob is pushed through node A and pulled through node B (swapped every round); small blobs, mix blobs and warm-up go to the nodes alternately, every blob pulled through the node that did not push it;");
            sb.AppendLine(CultureInfo.InvariantCulture, $"manifest GETs are measured through node A only, node B only and both at once ({(options.LoadGenerator == "wrk" ? "two wrk processes" : "connections alternating")}, half the connections each); distribution, one node, gets the same load generators against its one address (its node A and node B rows are one measurement). Memory (6) is node A's, which takes that push and pull.");
            if (reference is not null)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"Reference: {reference.Description}.");
            }
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"Client: one .NET HttpClient (SocketsHttpHandler, pooled connections){(cluster ? " per node" : "")}; manifest GETs by {(options.LoadGenerator == "wrk" ? "wrk" : "the same HttpClient")}. MiB = 2^20 bytes.");
        var turns = reference is null ? "ours and distribution take turns" : "ours, distribution and Azurite alone take turns, the order rotated";
        sb.AppendLine(CultureInfo.InvariantCulture, $"Figures of workloads 1-5 are medians of {options.Rounds} interleaved round(s) ({turns}; {(Workloads.Runner.DropCaches ? "`sync` and a dropped page cache" : "`sync`")} before each turn); workload 6 runs once, right after the warm-up.");
        sb.AppendLine();
        if (reference is null)
        {
            sb.AppendLine("| # | Workload | Unit | Ours | distribution | Ours / distribution | Target | Met |");
            sb.AppendLine("|---|---|---|---:|---:|---:|---|---|");
        }
        else
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| # | Workload | Unit | Ours ({ours.Nodes.Count} nodes) | distribution | Ours / distribution | Azurite alone | Ours / Azurite alone | Target | Met |");
            sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---|---|");
        }
        foreach (var m in metrics.OrderBy(m => m.Number)) // stable: workloads keep their order within a number
        {
            var (o, d) = (Median(m, ours.Name), m.OursOnly ? null : Median(m, dist.Name));
            var ratio = m.Comparable && !m.OursOnly && o is not null && d > 0 ? $"{o / d:0.00}x" : "—";
            var met = m.Target is null ? "" : o is null || (m.Comparable && !m.OursOnly && d is null) ? "—" : m.Target.IsMet(o.Value, d) ? "yes" : "**no**";
            var distText = m.OursOnly ? "—" : Format(d);
            var referenceColumns = "";
            if (reference is not null)
            {
                var r = m.Reference ? Median(m, ReferenceName) : null;
                referenceColumns = m.Reference ? $" {Format(r)} | {(o is not null && r > 0 ? $"{o / r:0.00}x" : "—")} |" : " — | — |";
            }
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {m.Number} | {m.Name} | {m.Unit} | {Format(o)} | {distText} | {ratio} |{referenceColumns} {m.Target?.Text ?? ""} | {met} |");
        }
        foreach (var (heading, lines) in new[] { ("Errors", errors), ("Notes", notes) })
        {
            if (lines.Count > 0)
            {
                sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"{heading}:").AppendLine();
                lines.ForEach(l => sb.AppendLine(CultureInfo.InvariantCulture, $"- {l.ReplaceLineEndings(" ")}"));
            }
        }
        return sb.ToString();
    }

    public void Print() => Console.WriteLine(Environment.NewLine + ToMarkdown());

    /// <summary>Writes the sections run so far (one per profile) to <c>--out</c>.</summary>
    public static void Save(Options options, IEnumerable<Report> reports)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(options.OutputPath)!);
        File.WriteAllText(options.OutputPath, string.Join(Environment.NewLine, reports.Select(r => r.ToMarkdown())));
        Console.WriteLine($"bench: wrote {options.OutputPath}");
    }

    /// <summary>The middle figure of the rounds (the mean of the middle two for an even count).</summary>
    double? Median(Metric m, string name)
    {
        if (!values.TryGetValue((m, name), out var list) || list.Count == 0)
        {
            return null;
        }
        var sorted = list.Order().ToArray();
        return (sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]) / 2;
    }

    public static string Format(double? v) => v switch
    {
        null => "error",
        { } x when Math.Abs(x) >= 100 => x.ToString("0", CultureInfo.InvariantCulture),
        { } x when Math.Abs(x) >= 10 => x.ToString("0.0", CultureInfo.InvariantCulture),
        { } x => x.ToString("0.00", CultureInfo.InvariantCulture),
    };

    static string Cpu() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    static string Ram()
    {
        var kb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return $"{long.Parse(kb, CultureInfo.InvariantCulture) / (1024 * 1024)} GiB RAM";
    }

    sealed class Recorder(Report report, string name) : IRecorder
    {
        public void Record(Metric metric, double value)
        {
            if (!report.values.TryGetValue((metric, name), out var list))
            {
                report.values[(metric, name)] = list = [];
            }
            list.Add(value);
            Console.WriteLine($"   {name,-12} {metric.Name}: {Format(value)} {metric.Unit}");
        }

        public void Note(string text)
        {
            var line = $"{name}: {text}";
            if (!report.notes.Contains(line))
            {
                report.notes.Add(line);
                Console.WriteLine($"   {line}");
            }
        }
    }
}
