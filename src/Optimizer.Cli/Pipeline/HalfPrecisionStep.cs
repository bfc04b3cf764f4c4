using Optimizer.Cli.Commands;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Analysis;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Precision;
using Optimizer.Passes.Quantization;
using Optimizer.Runtime.Calibration;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// <c>--quantize fp16|bf16</c> after the FP32 passes: with <c>--calibrate DIR</c>, the range of every float value is
/// observed first (min/max, the INT8 calibrator's collection) so nodes that would overflow float16 stay float32; then
/// the half-precision passes (IR only, <see cref="HalfPrecisionPasses"/>) convert the model.
/// </summary>
public static class HalfPrecisionStep
{
    public const string NoRangeCheck = "no range check was made (no --calibrate data): activations are assumed to stay within float16's ±65504";

    /// <param name="ranges">Ranges an earlier round (of the accuracy budget) observed: not observed again.</param>
    public static HalfPrecisionOutcome Run(Model model, QuantizeOptions q, OptimizeOptions options, PassContext context, TextWriter stderr,
        IEnumerable<string>? keepFloat = null, ObservedRanges? ranges = null)
    {
        var half = q.Half!;
        if (model.GetOpset("") is null)
            return new HalfPrecisionOutcome(new HalfPrecisionReport { Target = half.Name, KeepIoTypes = half.KeepIoTypes, RangeCheck = "the model imports no ONNX operator set: nothing to convert" }, [], [], null);
        var bytesBefore = ModelWriter.ToBytes(model).LongLength;
        if (half.Target == ElementType.Float16) ranges ??= Observe(model, q, options, context, stderr);
        var conversion = new HalfPrecisionConversion(half.Settings(q, ranges?.Ranges, keepFloat));
        var records = PassRunner.Run(model, HalfPrecisionPasses.For(conversion), context);
        var result = conversion.Result!;
        foreach (var c in result.Clamped.Where(c => c.AboveRange > 0))
            stderr.WriteLine($"warning: constant '{c.Tensor}' holds {c.AboveRange} value(s) beyond float16's ±65504 (down to {c.Min:G4}, up to {c.Max:G4}): clamped to ±65504");
        var rangeCheck = half.Target == ElementType.BFloat16 ? "none needed: bfloat16 has float32's range"
            : ranges is null ? NoRangeCheck
            : $"{ranges.Ranges.Count} float values observed on {ranges.Samples} samples of {q.CalibrateDir}"
              + (ranges.Unobserved > 0 ? $" ({ranges.Unobserved} inside If/Loop/Scan bodies could not be observed and are not checked)" : "") + $"; {result.KeptFloat.Count(k => k.Reason.Contains("calibration data", StringComparison.Ordinal) || k.Reason.Contains("would reach", StringComparison.Ordinal))} nodes kept float32 for their range";
        if (ranges is null && half.Target == ElementType.Float16) stderr.WriteLine("warning: " + NoRangeCheck + "; give --calibrate DIR to check");
        var report = new HalfPrecisionReport
        {
            Target = half.Name,
            KeepIoTypes = half.KeepIoTypes,
            ConvertedNodes = result.ConvertedNodes,
            KeptFloat = result.KeptFloat,
            CastsInserted = result.CastsInserted,
            ConvertedConstants = result.ConvertedConstants,
            CopiedConstants = result.CopiedConstants,
            Clamped = result.Clamped,
            RangeCheck = rangeCheck,
            CalibrationData = ranges is null ? null : q.CalibrateDir,
            Samples = ranges?.Samples,
            BytesBefore = bytesBefore,
            BytesAfter = ModelWriter.ToBytes(model).LongLength,
        };
        var converted = model.Graph.AllNodes().Where(n => n.Name.Length > 0 && NodeIsHalf(n, half.Target)).Select(n => n.Name).ToList();
        return new HalfPrecisionOutcome(report, records, converted, ranges);
    }

    private static bool NodeIsHalf(Node node, ElementType target) => node.OpType != "Cast" && node.Outputs.Any(o => o?.ElementType == target);

    /// <summary>
    /// The opset the FP32 passes should upgrade to first: for bf16, <see cref="BFloat16Opset.UpgradeTarget"/> (the
    /// conversion then raises it to 22, where ONNX admits bfloat16); for fp16 the model's own will do.
    /// </summary>
    public static long? OpsetFor(Model model, long? asked, HalfPrecisionOptions half)
    {
        if (half.Target != ElementType.BFloat16) return asked;
        if (asked >= BFloat16Opset.UpgradeTarget || Patterns.Opset(model) >= BFloat16Opset.UpgradeTarget) return asked;
        return BFloat16Opset.UpgradeTarget;
    }

    /// <summary>The min/max of every float32 value of every graph on the --calibrate data; null without data.</summary>
    public static ObservedRanges? Observe(Model model, QuantizeOptions q, OptimizeOptions options, PassContext context, TextWriter stderr)
    {
        if (q.CalibrateDir is not { } folder) return null;
        PassRunner.Run(model, [new InferShapes()], context);
        // The calibrator lifts body values to the main graph, but for a body's own outputs, values made by control flow
        // inside a body, and values two bodies down, its run yields no tensor (ONNX_TYPE_UNKNOWN, found on Silero VAD):
        // those are not observed (the report counts them); an If branch's output i takes the range of the If's output i.
        var values = model.Graph.AllGraphs().SelectMany(g => g.Nodes).Where(n => !n.IsConstantNode)
            .SelectMany(n => n.Outputs).OfType<Value>().Where(v => v.ElementType == ElementType.Float).ToList();
        var observable = values.Where(v => v.Graph?.ParentNode is null
            || (v.Graph.Parent?.ParentNode is null && !v.IsGraphOutput && v.Producer?.Subgraphs.Any() == false)).ToList();
        var names = observable.Select(v => v.Name)
            .Concat(model.Graph.Inputs.Where(v => v.ElementType == ElementType.Float && !v.IsInitializer).Select(v => v.Name))
            .Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0) return new ObservedRanges(new Dictionary<string, ValueRange>(), 0, values.Count);
        var data = InputData.Open(folder, options);
        var settings = new CalibrationSettings { Method = CalibrationMethod.MinMax, MaxSamples = q.CalibrationSamples, Session = options.SpeedSession };
        var total = q.CalibrationSamples is { } n ? Math.Min(n, data.Count) : data.Count;
        var statistics = BenchProgressDisplay.Run<(int Done, int? Total), CalibrationStatistics>(stderr,
            p => ($"observing the ranges of {names.Count} float values on {total} samples of {folder}", p.Done, p.Total ?? total),
            progress => Calibrator.Collect(ModelWriter.ToBytes(model), names, data, settings, (done, all) => progress.Report((done, all)), context.Cancellation));
        if (statistics.SampleCount == 0) throw new InvalidInputException($"--calibrate {folder}: no samples were read");
        var ranges = statistics.Tensors.ToDictionary(kv => kv.Key, kv => new ValueRange(kv.Value.Min, kv.Value.Max), StringComparer.Ordinal);
        // A value observed non-finite (an overflow already in float32) counts as beyond any range.
        foreach (var (name, t) in statistics.Tensors)
            if (t.NonFiniteCount > 0) ranges[name] = new ValueRange(float.NegativeInfinity, float.PositiveInfinity);
        foreach (var v in values.Where(v => v.IsGraphOutput && v.Graph?.ParentNode is { OpType: "If" }))
        {
            var index = v.Graph!.Outputs.ToList().IndexOf(v);
            if (v.Graph.ParentNode!.Outputs.ElementAtOrDefault(index) is { } outer && ranges.TryGetValue(outer.Name, out var range)) ranges.TryAdd(v.Name, range);
        }
        return new ObservedRanges(ranges, statistics.SampleCount, values.Count(v => !ranges.ContainsKey(v.Name)));
    }
}

/// <summary>Observed min/max of float values, and on how many samples.</summary>
public sealed record ObservedRanges(IReadOnlyDictionary<string, ValueRange> Ranges, int Samples, int Unobserved);

/// <summary>What the half-precision step did: the report, the pass records, the nodes converted, the ranges observed.</summary>
public sealed record HalfPrecisionOutcome(HalfPrecisionReport Report, IReadOnlyList<PassRecord> Records, IReadOnlyList<string> Nodes, ObservedRanges? Ranges);

/// <summary>The "halfPrecision" section of OUT/report.json and of the manifest.</summary>
public sealed record HalfPrecisionReport
{
    /// <summary>fp16 or bf16.</summary>
    public required string Target { get; init; }
    public required bool KeepIoTypes { get; init; }
    public int ConvertedNodes { get; init; }
    /// <summary>Nodes touching float32 tensors that stay float32, with the reason.</summary>
    public IReadOnlyList<KeptFloat> KeptFloat { get; init; } = [];
    public int CastsInserted { get; init; }
    public int ConvertedConstants { get; init; }
    public int CopiedConstants { get; init; }
    /// <summary>Constants with values beyond float16's range (clamped to ±65504) or below its smallest subnormal (raised to ±2^-24).</summary>
    public IReadOnlyList<ConstantClamp> Clamped { get; init; } = [];
    /// <summary>What range check was made, or why none was.</summary>
    public required string RangeCheck { get; init; }
    public string? CalibrationData { get; init; }
    public int? Samples { get; init; }
    /// <summary>The serialized model before and after the conversion (after the FP32 passes).</summary>
    public long BytesBefore { get; init; }
    public long BytesAfter { get; init; }
    /// <summary>The accuracy budget (with --validate and gates).</summary>
    public BudgetReport? Budget { get; init; }
    /// <summary>With a budget that missed at first: the converted nodes ranked by the error each adds, worst first.</summary>
    public IReadOnlyList<NodeError>? NodeErrors { get; init; }
}
