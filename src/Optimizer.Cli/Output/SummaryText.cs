using System.Globalization;
using System.Text;
using Optimizer.Onnx.Analysis;

namespace Optimizer.Cli.Output;

/// <summary>The human-readable form of a <see cref="ModelSummary"/>.</summary>
public static class SummaryText
{
    public static string Render(string path, ModelSummary s)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"model      {path}");
        sb.AppendLine($"ir         {s.IrVersion}   opsets {string.Join(", ", s.Opsets.Select(o => $"{o.Domain} {o.Version}"))}");
        if (s.Producer.Length > 0) sb.AppendLine($"producer   {s.Producer}");
        sb.AppendLine("inputs");
        foreach (var v in s.Inputs) sb.AppendLine($"  {v}");
        sb.AppendLine("outputs");
        foreach (var v in s.Outputs) sb.AppendLine($"  {v}");
        sb.AppendLine($"nodes      {s.NodeCount} in the main graph, {s.TotalNodeCount} in all, {s.SubgraphCount} subgraphs, {s.FunctionCount} functions");
        sb.AppendLine("operators");
        var width = s.Operators.Count == 0 ? 0 : s.Operators.Max(o => o.Op.Length);
        foreach (var op in s.Operators) sb.AppendLine($"  {op.Op.PadRight(width)}  {op.Count,6}");
        AppendParameters(sb, "initializers", s.Initializers);
        AppendParameters(sb, "constants", s.Constants);
        if (s.ExternalDataFiles.Count > 0)
        {
            sb.AppendLine("external data");
            foreach (var f in s.ExternalDataFiles) sb.AppendLine($"  {f.Path}  {f.Tensors} tensors, {Bytes(f.Bytes)}");
        }
        if (s.Metadata.Count > 0)
        {
            sb.AppendLine("metadata");
            foreach (var (k, v) in s.Metadata) sb.AppendLine($"  {k} = {v}");
        }
        return sb.ToString();
    }

    private static void AppendParameters(StringBuilder sb, string title, ParameterSummary p)
    {
        sb.AppendLine($"{title,-12} {p.Tensors} tensors, {p.Elements.ToString("N0", CultureInfo.InvariantCulture)} elements, {Bytes(p.Bytes)}");
        foreach (var t in p.ByElementType)
            sb.AppendLine($"  {t.ElementType,-6} {t.Tensors,6} tensors {t.Elements.ToString("N0", CultureInfo.InvariantCulture),16} elements  {Bytes(t.Bytes)}");
    }

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.00} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
