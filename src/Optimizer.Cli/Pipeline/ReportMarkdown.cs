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
}
