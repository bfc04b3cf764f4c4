using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// <c>--calibration-method best</c>: from one calibration's statistics, the model is quantized with each compared
/// method's ranges, both run beside the FP32 model on the first calibration samples, and the method whose worst
/// output SQNR is highest is kept. Which method wins differs by model (min/max keeps a transformer's outlier
/// channels; the percentile gives a CNN's long-tailed activations a finer grid), so it is measured, not guessed.
/// </summary>
public static class CalibrationMethodChoice
{
    public static CalibrationTable Choose(byte[] fp32, CalibrationStatistics statistics, CalibrationSettings settings, string? dataHash,
        QuantizeOptions q, OptimizeOptions options, PassContext context, IEnumerable<string>? keepFloat, TextWriter stderr)
    {
        var methods = q.CompareMethods ?? [q.Method];
        var tables = methods.Select(m => CalibrationTable.From(statistics, settings with { Method = m }, fp32, dataHash)).ToList();
        if (tables.Count == 1) return tables[0];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var data = InputData.Open(q.CompareOn ?? q.CalibrateDir!, options);
        var reference = ReferenceOutputs.Compute(fp32, data.Read().Take(QuantizeDefaults.ComparisonSamples), options.SpeedSession, context.Cancellation);
        if (reference.OutputCount == 0) return tables[0];
        var where = q.CompareOn is null ? "calibration samples" : $"samples of {q.CompareOn}";
        var (masks, blanks) = (Gate.MaskThresholds(q.CompareBy), Gate.CtcBlanks(q.CompareBy));
        var judged = new List<(CalibrationTable Table, CandidateScore Score)>();
        foreach (var table in tables)
        {
            var candidate = ModelReader.Read(new MemoryStream(fp32), null);
            var single = q with { CompareMethods = null, BiasCorrection = false };
            QuantizationStep.Run(candidate, single, options, new PassContext(context.Options, cancellation: context.Cancellation), TextWriter.Null, keepFloat, table);
            // run as deployed: ONNX Runtime fuses the Q/DQ pairs into its integer kernels, whose rounding is what users get
            IReadOnlyList<OutputMetrics> metrics;
            try
            {
                metrics = reference.Compare(ModelWriter.ToBytes(candidate), "quantized model", options.SpeedSession, masks, blanks, context.Cancellation);
            }
            catch (Onnx.Errors.InvalidInputException e)
            {
                // A form ONNX Runtime cannot run here (one laid out for TensorRT, say) is not a reason to fail the run:
                // that method loses the comparison, and if every one does, the first is kept as without a comparison.
                stderr.WriteLine($"warning: the {table.Method} model could not be compared in ONNX Runtime ({e.Message})");
                judged.Add((table, CandidateScore.Unrunnable));
                continue;
            }
            judged.Add((table, CandidateScore.Judge(metrics, q.CompareBy)));
        }
        // the first listed wins a tie
        var (best, _) = judged.Aggregate((a, b) => b.Score.CompareTo(a.Score) > 0 ? b : a);
        var by = judged.Select(j => j.Score.Gate).FirstOrDefault(g => g is not null);
        var values = judged.ToDictionary(j => j.Table.Method, j => by is null ? j.Score.Sqnr : j.Score.GateValue, StringComparer.Ordinal);
        stderr.WriteLine($"calibration method: {best.Method} ({(by is null ? "worst output SQNR" : by.Name)} against FP32 on {reference.Count} {where}: "
                         + string.Join(", ", values.Select(v => $"{v.Key} {CandidateScore.Show(v.Value, by)}")) + $"; compared in {clock.Elapsed.TotalSeconds:0.00} s)");
        return new CalibrationTable(best.Method, best.Samples, best.ModelHash, best.DataHash, best.Ranges)
        {
            CalibrationSeconds = best.CalibrationSeconds,
            DataWaitSeconds = best.DataWaitSeconds,
            ChosenMethods = best.ChosenMethods,
            Comparison = new MethodComparison(values, by?.Name ?? "sqnr", q.CompareOn, reference.Count),
        };
    }
}
