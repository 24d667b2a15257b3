using System.Globalization;
using System.Text;
using Registry.Bench.Workloads;

namespace Registry.Bench;

/// <summary>Collects figures per side and renders the markdown table pasted into README.md.</summary>
public sealed class Report(Options options, Servers servers)
{
    readonly List<Metric> metrics = [];
    readonly Dictionary<(Metric, string), List<double>> values = [];
    readonly List<string> errors = [];
    readonly List<string> notes = [];
    readonly DateTime started = DateTime.UtcNow;

    public bool HasErrors => errors.Count > 0;

    public void Register(IEnumerable<Metric> more) => metrics.AddRange(more);

    public IRecorder For(Side side) => new Recorder(this, side);

    public void Fail(Workload workload, Side side, Exception e)
    {
        var text = e is Oci.RegistryRequestException or BenchException ? e.Message : e.ToString();
        errors.Add($"{side.Name}, {workload.Title}: {text}");
        Console.WriteLine($"   {side.Name,-12} FAILED: {text}");
    }

    public string ToMarkdown()
    {
        var (ours, dist) = (servers.Sides[0], servers.Sides[1]);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"### Registry vs distribution ({started:yyyy-MM-dd HH:mm} UTC{(options.Quick ? ", --quick" : "")})");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Cpu()}, {Environment.ProcessorCount} cores, {Ram()}; servers, client and data on one host (127.0.0.1, filesystem storage in {Path.GetTempPath().TrimEnd('/')}).");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Ours: {ours.Description}. Distribution: {dist.Description}, `log.level: error`, in-memory blob descriptor cache.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Client: one .NET HttpClient (SocketsHttpHandler, pooled connections); manifest GETs by {(options.LoadGenerator == "wrk" ? "wrk" : "the same HttpClient")}. MiB = 2^20 bytes.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Figures of workloads 1-5 are medians of {options.Rounds} interleaved round(s) (ours and distribution take turns; `sync` before each turn); workload 6 runs once, right after the warm-up.");
        sb.AppendLine();
        sb.AppendLine("| # | Workload | Unit | Ours | distribution | Ours / distribution | Target | Met |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---|---|");
        foreach (var m in metrics.OrderBy(m => m.Number)) // stable: workloads keep their order within a number
        {
            var (o, d) = (Median(m, ours), Median(m, dist));
            var ratio = m.Comparable && o is not null && d > 0 ? $"{o / d:0.00}x" : "—";
            var met = m.Target is null ? "" : o is null || (m.Comparable && d is null) ? "—" : m.Target.IsMet(o.Value, d) ? "yes" : "**no**";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {m.Number} | {m.Name} | {m.Unit} | {Format(o)} | {Format(d)} | {ratio} | {m.Target?.Text ?? ""} | {met} |");
        }
        foreach (var (title, lines) in new[] { ("Errors", errors), ("Notes", notes) })
        {
            if (lines.Count > 0)
            {
                sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"{title}:").AppendLine();
                lines.ForEach(l => sb.AppendLine(CultureInfo.InvariantCulture, $"- {l.ReplaceLineEndings(" ")}"));
            }
        }
        return sb.ToString();
    }

    public void Print() => Console.WriteLine(Environment.NewLine + ToMarkdown());

    public void Save()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(options.OutputPath)!);
        File.WriteAllText(options.OutputPath, ToMarkdown());
        Console.WriteLine($"bench: wrote {options.OutputPath}");
    }

    /// <summary>The middle figure of the rounds (the mean of the middle two for an even count).</summary>
    double? Median(Metric m, Side side)
    {
        if (!values.TryGetValue((m, side.Name), out var list) || list.Count == 0)
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

    sealed class Recorder(Report report, Side side) : IRecorder
    {
        public void Record(Metric metric, double value)
        {
            if (!report.values.TryGetValue((metric, side.Name), out var list))
            {
                report.values[(metric, side.Name)] = list = [];
            }
            list.Add(value);
            Console.WriteLine($"   {side.Name,-12} {metric.Name}: {Format(value)} {metric.Unit}");
        }

        public void Note(string text)
        {
            var line = $"{side.Name}: {text}";
            if (!report.notes.Contains(line))
            {
                report.notes.Add(line);
                Console.WriteLine($"   {line}");
            }
        }
    }
}
