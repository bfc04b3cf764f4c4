using System.Globalization;
using System.Text;

namespace Optimizer.Runtime.Reports;

/// <summary>A GitHub-flavoured Markdown table, built row by row.</summary>
public sealed class MarkdownTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public MarkdownTable Row(params object?[] cells)
    {
        _rows.Add(cells.Select(Format).ToArray());
        return this;
    }

    public void AppendTo(StringBuilder text)
    {
        text.AppendLine("| " + string.Join(" | ", headers) + " |");
        text.AppendLine("|" + string.Concat(headers.Select(_ => " --- |")));
        foreach (var row in _rows) text.AppendLine("| " + string.Join(" | ", row) + " |");
        text.AppendLine();
    }

    /// <summary>Numbers with up to 6 decimals (4 significant digits in exponent form when tiny or huge), everything else as text.</summary>
    public static string Format(object? cell) => cell switch
    {
        null => "",
        double d when double.IsNaN(d) => "n/a",
        double d when double.IsInfinity(d) => d > 0 ? "inf" : "-inf",
        double d => Math.Abs(d) >= 1e6 || (Math.Abs(d) < 1e-3 && d != 0) ? d.ToString("G4", CultureInfo.InvariantCulture) : d.ToString("0.######", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString()!.Replace("|", "\\|"),
    };
}
