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

    /// <summary>Numbers with 6 significant digits (enough to tell a cosine of 0.99999 from 1), everything else as text.</summary>
    public static string Format(object? cell) => cell switch
    {
        null => "",
        double d when double.IsNaN(d) => "n/a",
        double d when double.IsInfinity(d) => d > 0 ? "inf" : "-inf",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString()!.Replace("|", "\\|"),
    };
}
