using System.Text;
using Optimizer.Runtime.Reports;

namespace Optimizer.Runtime.Validation;

/// <summary>The per-layer errors as a Markdown table, in the order given (worst first as the meter returns them).</summary>
public static class LayerErrorTable
{
    public static string Markdown(IReadOnlyList<LayerError> errors, int max = 50)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var table = new MarkdownTable("#", "node", "op", "value", "SQNR (dB)", "cosine", "max abs diff", "elements");
        foreach (var (e, i) in errors.Take(max).Select((e, i) => (e, i)))
            table.Row(i + 1, e.Node ?? "", e.OpType ?? "", e.Value, e.SqnrDb, e.Cosine, e.MaxAbs, e.Elements);
        var text = new StringBuilder();
        table.AppendTo(text);
        if (errors.Count > max) text.AppendLine($"and {errors.Count - max} more layers.").AppendLine();
        return text.ToString();
    }
}
