using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Quantization;
using Optimizer.Runtime.Calibration;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// Cross-layer equalization before static INT8 (<see cref="CrossLayerEqualization"/>, Nagel et al. 2019): exact in FP32,
/// it moves each channel's range between the two weights of a Conv→[Relu]→Conv pair. With one weight scale per tensor
/// that is what it is for; with one per output channel (the default) only the activation between the two Convs changes,
/// and that can go either way: the pretrained PP-OCRv4 detector gained (output SQNR 12.2 → 16.3 dB), silero VAD's
/// 16 kHz export lost (26.4 → 25.6 dB; its "half" variant 30.9 → 27.5 dB: one Relu's range widened from 31 to 172). So by
/// default (<see cref="Equalization.Auto"/>) it is measured as the calibration method is: the model is quantized with
/// and without it, both run as deployed beside FP32 on calibration samples spread over the folder (within a budget, its
/// --validate data and first gate), and the better is kept; a tie keeps the model as it is.
/// </summary>
public static class EqualizationChoice
{
    /// <summary>
    /// Equalizes <paramref name="model"/> when chosen, and returns the pass records and <paramref name="q"/> with
    /// <see cref="QuantizeOptions.Equalized"/> set.
    /// </summary>
    public static (IReadOnlyList<PassRecord> Records, QuantizeOptions Q) Apply(Model model, QuantizeOptions q, OptimizeOptions options, PassContext context, TextWriter stderr)
    {
        var fp32 = ModelWriter.ToBytes(model);
        var equalized = ModelReader.Read(new MemoryStream(fp32), null);
        var pairs = PassRunner.Run(equalized, [new CrossLayerEqualization()], Quiet(context)).Sum(r => r.NodesRewritten);
        if (pairs == 0)
        {
            if (q.Equalization == Equalization.On)
                stderr.WriteLine("note: --cross-layer-equalization on: the main graph has no Conv→Conv or Conv→Relu→Conv pair to equalize (If/Loop/Scan bodies are not searched)");
            return ([], q with { Equalized = new EqualizationOutcome(false, 0, null, "no Conv→Conv or Conv→Relu→Conv pair to equalize in the main graph") });
        }

        var equalizedBytes = ModelWriter.ToBytes(equalized);
        var table = q.CalibrationTable is { } path ? CalibrationTable.Read(path) : null;
        // What a table was calibrated under: as it records it, else as the model it names by hash (the model just before
        // calibration, equalized or not), else unknown (a table of another tool version).
        var recorded = table?.Equalized
                       ?? (table is null ? null : table.ModelHash == AsCalibrated(fp32, q) ? false : table.ModelHash == AsCalibrated(equalizedBytes, q) ? true : null);
        var (apply, compared, why) = q.Equalization switch
        {
            Equalization.On or Equalization.Off when recorded is { } r && r != (q.Equalization == Equalization.On) =>
                throw new InvalidInputException($"--cross-layer-equalization {(r ? "off" : "on")}: the calibration table {q.CalibrationTable} was calibrated "
                                                + $"{(r ? "with" : "without")} it, so its ranges of the equalized tensors would not fit; give {(r ? "on" : "off")} or calibrate again"),
            Equalization.On => (true, null, "--cross-layer-equalization on"),
            Equalization.Off => (false, null, "--cross-layer-equalization off"),
            // a table that does not say: equalized, as every table was from the day equalization came (2026-11-30) until it was measured
            _ when table is not null => (recorded ?? true, null, recorded is null ? "as calibration tables without the record were (always equalized)" : "as the calibration table records it"),
            _ => Compare(fp32, equalizedBytes, pairs, q, options, context, stderr),
        };
        var records = apply ? PassRunner.Run(model, [new CrossLayerEqualization()], context) : [];
        return (records, q with { Equalized = new EqualizationOutcome(apply, pairs, compared, why) });
    }

    private static (bool Apply, MethodComparison? Compared, string Why) Compare(byte[] plain, byte[] equalized, int pairs, QuantizeOptions q, OptimizeOptions options,
        PassContext context, TextWriter stderr)
    {
        // CLE is exact: the FP32 outputs of the plain model are the reference of both
        if (CandidateComparison.Start(plain, q.CalibrateDir!, q.CompareBy, q, options, context.Cancellation) is not { } comparison)
            return (true, null, "no float output to compare on");
        // as each would be quantized, without the remedies that follow the choice (their own runs and passes)
        var single = q with { BiasCorrection = false, Gptq = false, SmoothQuant = null, SmoothQuantAuto = false };
        foreach (var (name, bytes) in new[] { ("off", plain), ("on", equalized) })
        {
            var candidate = ModelReader.Read(new MemoryStream(bytes), null);
            QuantizationStep.Run(candidate, single, options, Quiet(context), TextWriter.Null);
            comparison.Add(name, name == "on" ? "the equalized model" : "the model not equalized", candidate, stderr);
        }
        var best = comparison.Best();
        var record = comparison.Report($"cross-layer equalization ({pairs} Conv pair{(pairs == 1 ? "" : "s")})", best, stderr);
        return (best == 1, record, "measured");
    }

    /// <summary>The hash calibration gives the model: after the plan's analysis (shapes inferred) and with every node named.</summary>
    private static string AsCalibrated(byte[] bytes, QuantizeOptions q)
    {
        var model = ModelReader.Read(new MemoryStream(bytes), null);
        QdqPlanner.Plan(model, q.Settings());
        NodeNaming.EnsureNames(model);
        return CalibrationTable.HashOf(ModelWriter.ToBytes(model));
    }

    private static PassContext Quiet(PassContext context) => new(context.Options, cancellation: context.Cancellation);
}
