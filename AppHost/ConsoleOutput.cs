namespace Registry.AppHost;

/// <summary>
/// The one writer to the console, so log lines from several children and the resource table never
/// interleave mid-line. Colors only on a terminal, and never when NO_COLOR is set.
/// </summary>
internal sealed class ConsoleOutput
{
    private static readonly string[] Palette = ["36", "35", "33", "32", "34"]; // cyan, magenta, yellow, green, blue
    private readonly Lock _gate = new();
    private readonly bool _color = !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    public static string PrefixColor(int index) => Palette[index % Palette.Length];

    public string Paint(string text, string ansi) => _color ? $"\u001b[{ansi}m{text}\u001b[0m" : text;

    public void Child(string name, string color, string line, bool isError) =>
        Write(isError ? Console.Error : Console.Out, [$"{Paint($"[{name}]", color)} {line}"]);

    public void Info(string message) => Write(Console.Out, [$"{Paint("[apphost]", "1")} {message}"]);

    public void Error(string message) => Write(Console.Error, [$"{Paint("[apphost]", "1;31")} {message}"]);

    public void Block(IEnumerable<string> lines) => Write(Console.Out, lines);

    private void Write(TextWriter writer, IEnumerable<string> lines)
    {
        lock (_gate)
        {
            try
            {
                foreach (var line in lines)
                {
                    writer.WriteLine(line);
                }
            }
            catch (IOException)
            {
                // the terminal is gone (SIGHUP); keep stopping the children regardless
            }
        }
    }
}
