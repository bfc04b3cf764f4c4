using System.Text;
using Optimizer.Cli.Output;

namespace Optimizer.Cli.Pipeline;

/// <summary>OUT/report.md: the report for people.</summary>
public static class ReportMarkdown
{
    public static string Render(PipelineReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Optimization report: {Path.GetFileName(r.Input)}");
        sb.AppendLine();
        sb.AppendLine("| | input | output |");
        sb.AppendLine("| --- | ---: | ---: |");
        sb.AppendLine($"| file | `{r.Input}` | `{r.Output}` |");
        sb.AppendLine($"| size | {SummaryText.Bytes(r.InputBytes)} | {SummaryText.Bytes(r.OutputBytes)} |");
        sb.AppendLine($"| nodes (main graph) | {r.Before.NodeCount} | {r.After.NodeCount} |");
        sb.AppendLine($"| nodes (all graphs) | {r.Before.TotalNodeCount} | {r.After.TotalNodeCount} |");
        sb.AppendLine($"| initializers | {r.Before.Initializers.Tensors} ({SummaryText.Bytes(r.Before.Initializers.Bytes)}) | {r.After.Initializers.Tensors} ({SummaryText.Bytes(r.After.Initializers.Bytes)}) |");
        sb.AppendLine($"| constant nodes | {r.Before.Constants.Tensors} ({SummaryText.Bytes(r.Before.Constants.Bytes)}) | {r.After.Constants.Tensors} ({SummaryText.Bytes(r.After.Constants.Bytes)}) |");
        sb.AppendLine();
        if (r.PassResults.Count == 0) sb.AppendLine("No passes ran (read and write only).");
        else
        {
            sb.AppendLine("## Passes");
            sb.AppendLine();
            sb.AppendLine("| pass | runs | rewritten | removed | added | bytes saved | declined | ms |");
            sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var p in r.PassResults)
                sb.AppendLine($"| {p.Name} | {p.Iterations} | {p.NodesRewritten} | {p.NodesRemoved} | {p.NodesAdded} | {p.BytesSaved} | {p.Declines} | {p.Seconds * 1000:0} |");
        }
        if (r.Quantization is { } q) Quantization(sb, q);
        if (r.Declines.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Declined rewrites");
            sb.AppendLine();
            foreach (var d in r.Declines) sb.AppendLine($"- `{d.Pass}` {d.Node}: {d.Reason}");
        }
        sb.AppendLine();
        sb.AppendLine($"Took {r.Seconds:0.00} s.");
        return sb.ToString();
    }

    private static void Quantization(StringBuilder sb, QuantizationReport q)
    {
        sb.AppendLine();
        sb.AppendLine("## INT8 quantization");
        sb.AppendLine();
        sb.AppendLine($"- {q.Mode}, for {q.Target}; {q.QuantizedNodes} nodes quantized");
        if (q.OpsetUpgradedFrom is { } from) sb.AppendLine($"- the model was upgraded from opset {from} to {QuantizationStep.RequiredOpset} or later first (per-channel Q/DQ needs it)");
        if (q.Method is not null)
            sb.AppendLine($"- calibration: {q.Method}{(q.Percentile is { } p ? $" ({p} %)" : "")} over {q.Samples} samples"
                          + (q.CalibrationTable is { } t ? $" (from `{t}`)" : q.CalibrationData is { } d ? $" of `{d}` (sha256 {q.CalibrationDataSha256})" : ""));
        if (q.LeftInFloat.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Left in float:");
            sb.AppendLine();
            foreach (var n in q.LeftInFloat) sb.AppendLine($"- `{n.Node}`: {n.Reason}");
        }
    }
}
