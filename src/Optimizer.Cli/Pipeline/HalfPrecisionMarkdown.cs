using System.Text;
using Optimizer.Cli.Output;

namespace Optimizer.Cli.Pipeline;

/// <summary>The "FP16/BF16 conversion" section of OUT/report.md.</summary>
public static class HalfPrecisionMarkdown
{
    public static void Render(StringBuilder sb, HalfPrecisionReport h)
    {
        sb.AppendLine();
        sb.AppendLine($"## {h.Target.ToUpperInvariant()} conversion");
        sb.AppendLine();
        sb.AppendLine($"- {h.ConvertedNodes} nodes converted, {h.KeptFloat.Count} kept float32, {h.CastsInserted} casts inserted; "
                      + $"graph inputs and outputs {(h.KeepIoTypes ? "kept float32" : "converted too")}");
        sb.AppendLine($"- {h.ConvertedConstants} constants converted, {h.CopiedConstants} copied (read in both types); model {SummaryText.Bytes(h.BytesBefore)} -> {SummaryText.Bytes(h.BytesAfter)} ({(h.BytesBefore > 0 ? (double)h.BytesAfter / h.BytesBefore : 0):0.000})");
        sb.AppendLine($"- range check: {h.RangeCheck}");
        foreach (var c in h.Clamped)
            sb.AppendLine($"- constant `{c.Tensor}`: {(c.AboveRange > 0 ? $"{c.AboveRange} values beyond ±65504 clamped (range [{c.Min:G4}, {c.Max:G4}])" : "")}"
                          + $"{(c.AboveRange > 0 && c.BelowSmallest > 0 ? "; " : "")}{(c.BelowSmallest > 0 ? $"{c.BelowSmallest} non-zero values below 2^-24 raised to it" : "")}");
        if (h.KeptFloat.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("| kept float32 | op | why |");
            sb.AppendLine("| --- | --- | --- |");
            foreach (var k in h.KeptFloat) sb.AppendLine($"| `{k.Node}` | {k.OpType} | {k.Reason} |");
        }
        if (h.Budget is { } b)
        {
            sb.AppendLine();
            sb.AppendLine($"Accuracy budget {(b.Passed ? "held" : "missed")} with {b.KeptInFloat.Count} nodes kept float32{(b.KeptInFloat.Count > 0 ? ": " + string.Join(", ", b.KeptInFloat.Select(n => $"`{n}`")) : "")}.");
            foreach (var s in b.Steps) sb.AppendLine($"- {s.NodesInFloat} in float32: {(s.Passed ? "passed" : "missed")} ({string.Join(", ", s.Gates)})");
            if (h.NodeErrors is { Count: > 0 } errors)
            {
                sb.AppendLine();
                sb.AppendLine("Error each converted node adds (SQNR of its output against FP32; loss beyond its inputs), worst first:");
                foreach (var e in errors.Take(20)) sb.AppendLine($"- `{e.Node}` ({e.OpType}): {e.OutputSqnrDb:0.0} dB, adds {e.AddedLossDb:0.0} dB");
            }
        }
    }
}
