using System.Text;
using Optimizer.Cli.Output;

namespace Optimizer.Cli.Pipeline;

/// <summary>The pruning section of OUT/report.md.</summary>
public static class PruningMarkdown
{
    /// <summary>One line for the command's summary on stdout.</summary>
    public static string Summary(PruningReport p) => p.ChannelsRemoved is { } removed
        ? $"pruned {removed} of {p.ChannelsPrunable} prunable channels: parameters {p.ParametersBefore:N0} -> {p.ParametersAfter:N0}, "
          + $"FLOPs {p.FlopsBefore:N0} -> {p.FlopsAfter:N0}, {SummaryText.Bytes(p.BytesBefore)} -> {SummaryText.Bytes(p.BytesAfter)}"
        : $"pruned to {p.Sparsity?.Sum(l => l.ZerosAfter) * 100.0 / Math.Max(1, p.Sparsity?.Sum(l => l.Weights) ?? 1):0.0} % zero weights: "
          + $"deflate-compressed {SummaryText.Bytes(p.DeflateBytesBefore)} -> {SummaryText.Bytes(p.DeflateBytesAfter)} (no faster on dense CPU kernels)";

    public static void Render(StringBuilder sb, PruningReport p)
    {
        sb.AppendLine();
        sb.AppendLine($"## Pruning ({p.Mode})");
        sb.AppendLine();
        var how = p.Pattern is { } pattern ? $"pattern {pattern}" : p.Amount is { } a ? $"amount {a:0.###}" : $"threshold {p.Threshold:G4}";
        sb.AppendLine($"- {how}" + (p.Norm is { } n ? $", {n} norm" : "") + (p.Scope is { } s && p.Pattern is null ? $", {s} scope" : "")
                      + (p.MaxPerLayer is { } m ? $", at most {m:0.###} of a layer" : ""));
        if (p.ChannelsRemoved is { } removed) sb.AppendLine($"- {removed} of {p.ChannelsPrunable} prunable channels removed");
        sb.AppendLine();
        sb.AppendLine("| | before | after |");
        sb.AppendLine("| --- | ---: | ---: |");
        sb.AppendLine($"| parameters | {p.ParametersBefore:N0} | {p.ParametersAfter:N0} |");
        if (p.FlopsBefore is { } fb) sb.AppendLine($"| FLOPs (one sample) | {fb:N0} | {p.FlopsAfter:N0} |");
        sb.AppendLine($"| model size | {SummaryText.Bytes(p.BytesBefore)} | {SummaryText.Bytes(p.BytesAfter)} |");
        sb.AppendLine($"| compressed (deflate) | {SummaryText.Bytes(p.DeflateBytesBefore)} | {SummaryText.Bytes(p.DeflateBytesAfter)} |");
        if (p.Note is { } note)
        {
            sb.AppendLine();
            sb.AppendLine($"**{note}**");
        }
        if (p.Budget is { } b)
        {
            sb.AppendLine();
            sb.AppendLine(b.Passed
                ? $"Accuracy budget held with {b.Reached:P1} of the prunable {(p.ChannelsRemoved is null ? "weights" : "channels")} removed"
                  + (b.SparedGroups.Count > 0 ? $"; {b.SparedGroups.Count} sensitive groups kept whole (groups {string.Join(", ", b.SparedGroups)})." : ".")
                : "Accuracy budget missed at every amount tried: nothing was pruned.");
            sb.AppendLine();
            sb.AppendLine("| round | amount | threshold | layers spared | channels removed | gates | passed |");
            sb.AppendLine("| ---: | ---: | ---: | ---: | ---: | --- | --- |");
            for (var i = 0; i < b.Steps.Count; i++)
            {
                var st = b.Steps[i];
                sb.AppendLine($"| {i + 1} | {st.Amount:0.####} | {st.Threshold:G4} | {st.LayersSpared} | {st.ChannelsRemoved} | {string.Join(", ", st.Gates)} | {(st.Passed ? "yes" : "no")} |");
            }
            if (b.Sensitivity.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("Sensitivity (the output's SQNR against the unpruned model when only that group is pruned), most sensitive first:");
                sb.AppendLine();
                sb.AppendLine("| group | layers | output SQNR (dB) |");
                sb.AppendLine("| ---: | --- | ---: |");
                foreach (var g in b.Sensitivity.Take(20)) sb.AppendLine($"| {g.Group} | {string.Join(", ", g.Layers.Take(3).Select(l => $"`{l}`"))}{(g.Layers.Count > 3 ? ", …" : "")} | {g.OutputSqnrDb:0.0} |");
            }
        }
        if (p.Layers is { Count: > 0 } layers)
        {
            sb.AppendLine();
            sb.AppendLine($"![channels kept per layer]({OptimizeRunner.PruningPlotFileName})");
            sb.AppendLine();
            sb.AppendLine("| layer | op | group | channels | threshold | parameters | FLOPs |");
            sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (var l in layers)
                sb.AppendLine($"| `{l.Layer}` | {l.OpType} | {l.Group} | {l.ChannelsBefore} → {l.ChannelsAfter} | {l.Threshold:G4} | {l.ParametersBefore:N0} → {l.ParametersAfter:N0} | {l.FlopsBefore:N0} → {l.FlopsAfter:N0} |");
        }
        if (p.Groups is { Count: > 0 } groups)
        {
            sb.AppendLine();
            sb.AppendLine("Groups (layers whose channels are tied and pruned together):");
            sb.AppendLine();
            foreach (var g in groups)
                sb.AppendLine($"- group {g.Id}: {string.Join(", ", g.Layers.Select(x => $"`{x}`"))}: {g.Removed} of {g.Units} channels removed"
                              + (g.Reason is { } why ? $" ({why})" : ""));
        }
        if (p.Sparsity is { Count: > 0 } sparsity)
        {
            sb.AppendLine();
            sb.AppendLine("| layer | op | weights | zeros before | zeros after | sparsity |");
            sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: |");
            foreach (var l in sparsity)
                sb.AppendLine($"| `{l.Layer}` | {l.OpType} | {l.Weights:N0} | {l.ZerosBefore:N0} | {l.ZerosAfter:N0} | {l.Sparsity:P1} |");
        }
    }
}
