namespace Registry.AppHost;

/// <summary>Renders the resources as a small aligned table: where each runs and how it is doing.</summary>
internal static class ResourceTable
{
    public static IEnumerable<string> Render(IReadOnlyList<Resource> resources, IReadOnlyList<Local.LocalServer> backing, ConsoleOutput output)
    {
        string[] header = ["NAME", "URL", "STATE", "HEALTH"];
        var rows = backing.Select(b => new[] { b.Name, b.Address, b.IsRunning ? "Running" : "Exited", "-" })
            .Concat(resources.Select(r => new[] { r.Name, r.Url.ToString().TrimEnd('/'), r.StateText, r.Health })).ToList();
        var states = backing.Select(b => b.IsRunning ? ResourceState.Running : ResourceState.Exited).Concat(resources.Select(r => r.State)).ToList();
        var widths = Enumerable.Range(0, header.Length)
            .Select(c => rows.Select(row => row[c].Length).Append(header[c].Length).Max())
            .ToArray();

        yield return "";
        yield return "  " + output.Paint(Line(header, widths), "1");
        for (var i = 0; i < rows.Count; i++)
        {
            var cells = rows[i].Select((cell, c) => cell.PadRight(widths[c])).ToArray();
            cells[2] = output.Paint(cells[2], StateColor(states[i]));
            yield return "  " + string.Join("  ", cells).TrimEnd();
        }

        yield return "";
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd();

    private static string StateColor(ResourceState state) => state switch
    {
        ResourceState.Running => "32",
        ResourceState.Starting => "33",
        _ => "31",
    };
}
