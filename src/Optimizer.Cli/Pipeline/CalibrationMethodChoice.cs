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
        // One method asked for (--calibration-method entropy, say) and no budget to judge it: its model is still measured
        // once, so that a method that ruins this model is warned about as best's choice would be (entropy ranges read none
        // of the PP-OCRv4 recognizer's lines, 3.8 dB, without a word).
        if (tables.Count == 1 && q.CompareBy.Count > 0) return tables[0];
        if (CandidateComparison.Start(fp32, q.CalibrateDir!, q.CompareBy, q, options, context.Cancellation) is not { } comparison) return tables[0];
        foreach (var table in tables)
        {
            var candidate = ModelReader.Read(new MemoryStream(fp32), null);
            var single = q with { CompareMethods = null, BiasCorrection = false };
            QuantizationStep.Run(candidate, single, options, new PassContext(context.Options, cancellation: context.Cancellation), TextWriter.Null, keepFloat, table);
            // run as deployed: ONNX Runtime fuses the Q/DQ pairs into its integer kernels, whose rounding is what users get;
            // if every method's model is unrunnable, the first is kept as without a comparison
            comparison.Add(table.Method, $"the {table.Method} model", candidate, stderr);
        }
        var chosen = comparison.Best();
        var best = tables[chosen];
        if (tables.Count == 1) return best.WithMeasured(comparison.Report("calibration method", chosen, TextWriter.Null));
        var compared = comparison.Report("calibration method", chosen, stderr);
        return new CalibrationTable(best.Method, best.Samples, best.ModelHash, best.DataHash, best.Ranges)
        {
            CalibrationSeconds = best.CalibrationSeconds,
            DataWaitSeconds = best.DataWaitSeconds,
            ChosenMethods = best.ChosenMethods,
            Comparison = compared,
        };
    }
}
