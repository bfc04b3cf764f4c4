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
            sb.AppendLine("| pass | runs | rewrites | what changed | declined | ms |");
            sb.AppendLine("| --- | ---: | ---: | --- | ---: | ---: |");
            foreach (var p in r.PassResults)
                sb.AppendLine($"| {p.Name} | {p.Iterations} | {p.NodesRewritten} | {(p.Changed ? PassSummaryText.Describe(p) : "nothing")} | {p.Declines} | {p.Seconds * 1000:0} |");
        }
        if (r.Pruning is { } pruning) PruningMarkdown.Render(sb, pruning);
        if (r.Quantization is { } q) Quantization(sb, q);
        if (r.HalfPrecision is { } h) HalfPrecisionMarkdown.Render(sb, h);
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
        sb.AppendLine($"- {q.Mode}, for {q.Target}; {q.QuantizedNodes} node{(q.QuantizedNodes == 1 ? "" : "s")} quantized"
                      + (q.QuantizedOpTypes is { Count: > 0 } types ? $" ({string.Join(", ", types.Select(kv => $"{kv.Value} {kv.Key}"))})" : ""));
        if (q.OpsetUpgradedFrom is { } from) sb.AppendLine($"- the model was upgraded from opset {from} to {QuantizationStep.RequiredOpset} or later first (per-channel Q/DQ needs it)");
        if (q.Method is not null)
            sb.AppendLine($"- calibration: {q.Method}{(q.Percentile is { } p ? $" ({p} %)" : "")} over {q.Samples} samples"
                          + (q.CalibrationTable is { } t ? $" (from `{t}`)" : q.CalibrationData is { } d ? $" of `{d}` (sha256 {q.CalibrationDataSha256})" : ""));
        if (q.ComparedMethods is { Count: 1 } measured)
            sb.AppendLine($"- calibration method {measured.Keys.First()} as asked, its quantized model measured" + Compared(measured, q.ComparedBy, q.ComparedOn, q.ComparedSamples));
        else if (q.ComparedMethods is { } compared)
            sb.AppendLine("- calibration method chosen by comparing the quantized models" + Compared(compared, q.ComparedBy, q.ComparedOn, q.ComparedSamples)
                          + (q.CalibrationTable is not null ? " (as the calibration table records it: measured by the run that wrote the table)" : ""));
        if (q.CrossLayerEqualization is { Pairs: > 0 } cle)
            sb.AppendLine($"- cross-layer equalization {(cle.Applied ? "on" : "off")} ({cle.Pairs} Conv pair{(cle.Pairs == 1 ? "" : "s")}; "
                          + (cle.Compared is { } c ? "chosen by comparing the quantized models" + Compared(c.Values, c.By, c.On, c.Samples) : cle.Why) + ")");
        if (q.SmoothQuantCompared is { } smooth)
            sb.AppendLine($"- SmoothQuant alpha {(q.SmoothQuant is { } alpha ? alpha.ToString(System.Globalization.CultureInfo.InvariantCulture) : "off")} chosen by comparing the quantized models"
                          + Compared(smooth.Values, smooth.By, smooth.On, smooth.Samples));
        if (q.ChosenMethods is { } chosen)
            sb.AppendLine($"- auto chose per tensor: {string.Join(", ", chosen.Select(kv => $"{kv.Key} {kv.Value}"))}");
        if (q.CalibrationSeconds is { } seconds && q.Samples is { } samples)
            sb.AppendLine($"- calibration took {seconds:0.00} s ({(seconds > 0 ? samples / seconds : 0):0.0} samples/s)"
                          + (q.CalibrationDataWaitSeconds is { } wait ? $", {wait:0.00} s of it waiting for data" : ""));
        if (q.WeightsPerTensorByBudget is { } perTensor)
            sb.AppendLine(perTensor
                ? "- weights: one scale per tensor, which held the accuracy budget (ONNX Runtime's integer kernels run them faster than per output channel)"
                : "- weights: one scale per output channel, as one per tensor missed the accuracy budget");
        if (q.BiasCorrection is { } bc)
            sb.AppendLine($"- bias correction: {bc.Nodes} Conv/Gemm biases corrected; mean |channel error| on the calibration data {bc.MeanAbsChannelErrorBefore:G4} -> {bc.MeanAbsChannelErrorAfter:G4}");
        if (q.Gptq is { } gptq)
            sb.AppendLine($"- weights rounded by GPTQ: {gptq.Layers} layers; their output error on the calibration samples {gptq.ErrorRatio:0.00} of round-to-nearest's (mean over layers)"
                          + (gptq.WiderLeft is { } wider ? $"; layers of more than {wider} inputs a row kept round-to-nearest" : ""));
        if (q.Budget is { } b)
        {
            sb.AppendLine();
            sb.AppendLine(b.Passed
                ? $"Accuracy budget held with {b.KeptInFloat.Count} nodes returned to float" + (b.KeptInFloat.Count > 0 ? $": {string.Join(", ", b.KeptInFloat.Select(n => $"`{n}`"))}." : ".")
                : $"Accuracy budget missed even with {b.KeptInFloat.Count} nodes returned to float; the model written is the last tried.");
            sb.AppendLine();
            sb.AppendLine("| round | nodes in float | gates | passed |");
            sb.AppendLine("| ---: | ---: | --- | --- |");
            for (var i = 0; i < b.Steps.Count; i++)
                sb.AppendLine($"| {i + 1} | {b.Steps[i].NodesInFloat}{(b.Steps[i].Weights is { } w ? $" (weights {w})" : "")} | {string.Join(", ", b.Steps[i].Gates)} | {(b.Steps[i].Passed ? "yes" : "no")} |");
            sb.AppendLine();
            if (b.Sensitivity.Count > 0)
            {
                // the measure the ranking went by first, when it was not the SQNR: the CTC gate's steps or the pooled cosine
                (string Heading, string Column, Func<Sensitivity, double?> Value)? lead =
                    b.Sensitivity.Any(s => s.StepAgreement is not null) ? ("the time steps whose arg-max stays as in FP32", "steps unchanged", s => s.StepAgreement)
                    : b.Sensitivity.Any(s => s.PooledCosine is not null) ? ("the worst cosine of the pooled token vectors against FP32", "worst pooled cosine", s => s.PooledCosine)
                    : null;
                sb.AppendLine(lead is { } first
                    ? $"Sensitivity (when only that node is quantized: {first.Heading}, then the output's SQNR), most sensitive first:"
                    : "Sensitivity (the output's SQNR against FP32 when only that node is quantized), most sensitive first:");
                sb.AppendLine();
                sb.AppendLine(lead is { } header ? $"| node | {header.Column} | output SQNR (dB) |" : "| node | output SQNR (dB) |");
                sb.AppendLine(lead is null ? "| --- | ---: |" : "| --- | ---: | ---: |");
                foreach (var s in b.Sensitivity.Take(20))
                    sb.AppendLine(lead is { } row ? $"| `{s.Node}` | {row.Value(s):0.0000} | {s.OutputSqnrDb:0.0} |" : $"| `{s.Node}` | {s.OutputSqnrDb:0.0} |");
            }
        }
        if (q.LayerErrors is { Count: > 0 } layers)
        {
            sb.AppendLine();
            sb.AppendLine("### Per-layer error against FP32 (validation data, worst first)");
            sb.AppendLine();
            sb.AppendLine($"![per-layer SQNR]({OptimizeRunner.LayerPlotFileName})");
            sb.AppendLine();
            sb.Append(Runtime.Validation.LayerErrorTable.Markdown(layers));
        }
        if (q.LeftInFloat.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Left in float:");
            sb.AppendLine();
            foreach (var n in q.LeftInFloat) sb.AppendLine($"- `{n.Node}`: {n.Reason}");
        }
    }

    /// <summary>" on 32 calibration samples (worst output SQNR against FP32): minmax 45.2 dB, percentile 46.4 dB": a choice's figures.</summary>
    private static string Compared(IReadOnlyDictionary<string, double> values, string? by, string? on, int? samples)
    {
        var sqnr = by is null or "sqnr";
        return $" on {samples} {(on is not null ? $"samples of `{on}`" : "calibration samples")} ({(sqnr ? "worst output SQNR" : by)} against FP32): "
               + string.Join(", ", values.Select(kv => $"{kv.Key} {(sqnr ? CandidateScore.Db(kv.Value) : kv.Value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))}"));
    }
}
