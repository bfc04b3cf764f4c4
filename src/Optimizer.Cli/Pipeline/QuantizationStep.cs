using Optimizer.Cli.Commands;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Analysis;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Quantization;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// <c>--quantize int8</c> after the FP32 passes: dynamic (weights int8 ahead of time), or static Q/DQ with ranges
/// calibrated on <c>--calibrate DIR</c> (or read from <c>--calibration-table</c>). The rules deciding which node gets
/// which Q/DQ live in the passes (IR only); this step runs the model where calibration needs it.
/// </summary>
public static class QuantizationStep
{
    /// <summary>The opset per-channel QuantizeLinear/DequantizeLinear (the axis attribute) needs.</summary>
    public const long RequiredOpset = 13;

    /// <param name="keepFloat">Nodes the accuracy budget keeps in float.</param>
    /// <param name="calibrated">Ranges an earlier round of the budget calibrated (static): not calibrated again.</param>
    public static QuantizationOutcome Run(Model model, QuantizeOptions q, OptimizeOptions options, PassContext context, TextWriter stderr,
        IEnumerable<string>? keepFloat = null, CalibrationTable? calibrated = null)
    {
        // A model of other domains only (training ops, say) has no ONNX operator to quantize.
        if (model.GetOpset("") is null)
            return new QuantizationOutcome(new QuantizationReport
            {
                Mode = q.Mode,
                Target = TargetName(q.Target),
                LeftInFloat = [new NodeReason("(model)", "it imports no ONNX operator set: nothing to quantize")],
            }, null, [], []);
        if (!q.IsStatic)
        {
            // The dynamic pass replaces each node it quantizes: the names gone afterwards are the quantized ones, but for
            // the Constant nodes that held their weights (a model run without fusion keeps weights in Constant nodes).
            NodeNaming.EnsureNames(model);
            var opTypes = OpTypesByName(model);
            var dynamic = new DynamicQuantization(q.Settings(keepFloat: keepFloat));
            var records = PassRunner.Run(model, [dynamic, new InferShapes(), new DropIntermediateShapes()], context);
            var after = model.Graph.AllNodes().Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
            var gone = opTypes.Keys.Where(n => !after.Contains(n) && opTypes[n] != "Constant").ToList();
            return new QuantizationOutcome(new QuantizationReport
            {
                Mode = q.Mode,
                Target = TargetName(q.Target),
                QuantizedNodes = gone.Count,
                SmoothQuant = q.SmoothQuant,
                SmoothQuantCompared = q.SmoothQuantCompared,
                CalibrationData = q.CalibrateDir,
                QuantizedOpTypes = CountOpTypes(gone, opTypes),
                LeftInFloat = dynamic.LeftInFloat.Select(l => new NodeReason(l.Node.Name, l.Reason) { OpType = l.Node.OpType }).ToList(),
            }, null, records, gone);
        }
        var plan = QdqPlanner.Plan(model, q.Settings(keepFloat: keepFloat));
        var staticOpTypes = OpTypesByName(model);
        List<NodeReason> Left(QdqPlan p) => p.LeftInFloat.Select(l => new NodeReason(l.Node, l.Reason) { OpType = staticOpTypes.GetValueOrDefault(l.Node) }).ToList();
        if (plan.TensorsToCalibrate.Count == 0)
            return new QuantizationOutcome(new QuantizationReport
            {
                Mode = q.Mode,
                Target = TargetName(q.Target),
                LeftInFloat = Left(plan),
            }, null, [], []);
        // GPTQ's weights, computed once for every node that could be quantized (before calibration, whose choice of method
        // quantizes with them), stored for the nodes each round quantizes
        var gptq = q.Gptq && q.CalibrateDir is { } calibration
            ? GptqStep.Compute(model, q.Settings(), calibration, q.CalibrationSamples, options, context.Cancellation, stderr)
            : null;
        var table = calibrated ?? (q.CalibrationTable is { } tablePath ? ReadTable(tablePath, plan) : Caching.CalibrationStepCache.GetOrCalibrate(model, plan.TensorsToCalibrate, q, options, stderr,
            () => Calibrate(model, plan, q, options, context, keepFloat, stderr)));
        if (q.Equalized is { } equalized) table = table.WithEqualized(equalized.Applied);
        var ranges = table.Ranges.ToDictionary(kv => kv.Key, kv => new ValueRange(kv.Value.Min, kv.Value.Max) { Unobserved = !kv.Value.Observed }, StringComparer.Ordinal);
        if (calibrated is null && table.Ranges.Values.Where(r => !r.Observed).Select(r => r.Name).ToList() is { Count: > 0 } unobserved)
            stderr.WriteLine($"note: {unobserved.Count} tensor{(unobserved.Count == 1 ? " was" : "s were")} never computed on the calibration data (If branches no sample took, "
                             + $"or loops that never ran: {Runtime.Calibration.NameList.Format(unobserved)}); the nodes reading or writing them stay float. "
                             + "Calibration data that takes every branch (each sample rate, say) quantizes them");
        // With the ranges known, tensors 8 bits cannot carry (an additive mask, a wide Softmax input) drop out of the plan.
        plan = QdqPlanner.Plan(model, q.Settings(ranges, keepFloat));
        var (bias, corrections) = q.BiasCorrection && q.CalibrateDir is { } folder
            ? BiasCorrectionStep.Run(model, q.Settings(ranges, keepFloat), InputData.Open(folder, options).Read, q.CalibrationSamples, context, stderr)
            : (null, []);
        var passRecords = corrections.ToList();
        if (gptq is not null)
        {
            var quantized = plan.QuantizedNodes.ToHashSet(StringComparer.Ordinal);
            var rounded = gptq.Weights.Where(w => quantized.Contains(w.Key)).ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
            passRecords.AddRange(PassRunner.Run(model, [new WeightRounding(rounded)], context));
        }
        // for the CPU, the embedding tables int8 too, as dynamic INT8 stores them (TensorRT's layout keeps them float)
        var embeddings = new EmbeddingQuantization(q.Settings(ranges, keepFloat));
        IPass[] passes = q.Target == QuantizationTarget.Cpu
            ? [new StaticQuantization(q.Settings(ranges, keepFloat)), embeddings, new QuantizedAffineFolding(), new InferShapes(), new DropIntermediateShapes()]
            : [new StaticQuantization(q.Settings(ranges, keepFloat)), new InferShapes()];
        passRecords.AddRange(PassRunner.Run(model, passes, context));
        var quantizedNodes = plan.QuantizedNodes.Concat(embeddings.Quantized).ToList();
        var report = new QuantizationReport
        {
            Mode = q.Mode,
            Target = TargetName(q.Target),
            Method = table.Method,
            ComparedMethods = (table.Comparison ?? table.Measured)?.Values,
            ComparedBy = (table.Comparison ?? table.Measured)?.By,
            ComparedOn = (table.Comparison ?? table.Measured)?.On,
            ComparedSamples = (table.Comparison ?? table.Measured)?.Samples,
            Percentile = table.Method is "percentile" or "auto" ? q.Percentile : null,
            ChosenMethods = table.ChosenCounts,
            SmoothQuant = q.SmoothQuant,
            CrossLayerEqualization = q.Equalized,
            BiasCorrection = bias,
            Gptq = gptq?.Report,
            Samples = table.Samples,
            CalibrationSeconds = table.CalibrationSeconds is { } seconds ? Math.Round(seconds, 3) : null,
            CalibrationDataWaitSeconds = table.DataWaitSeconds is { } wait ? Math.Round(wait, 3) : null,
            CalibrationData = q.CalibrateDir,
            CalibrationDataSha256 = table.DataHash,
            CalibrationTable = q.CalibrationTable,
            QuantizedNodes = quantizedNodes.Count,
            QuantizedOpTypes = CountOpTypes(quantizedNodes, staticOpTypes),
            LeftInFloat = Left(plan).Where(l => !embeddings.Quantized.Contains(l.Node)).ToList(),
        };
        return new QuantizationOutcome(report, table, passRecords, quantizedNodes);
    }

    /// <summary>Every node's op type by name (names made unique first, as the passes name them).</summary>
    private static Dictionary<string, string> OpTypesByName(Model model)
    {
        NodeNaming.EnsureNames(model);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var n in model.Graph.AllNodes()) result.TryAdd(n.Name, n.OpType);
        return result;
    }

    /// <summary>How many of <paramref name="nodes"/> are of each op type, most first.</summary>
    private static IReadOnlyDictionary<string, int> CountOpTypes(IEnumerable<string> nodes, IReadOnlyDictionary<string, string> opTypes) =>
        nodes.Select(n => opTypes.GetValueOrDefault(n, "?")).GroupBy(t => t).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>The target opset the passes should upgrade to before quantizing (null: the model's opset will do).</summary>
    public static long? OpsetFor(Model model, long? asked)
    {
        var current = Patterns.Opset(model);
        var target = Math.Max(asked ?? current, RequiredOpset);
        return target > current ? target : asked;
    }

    public static string TargetName(QuantizationTarget target) => target == QuantizationTarget.TensorRt ? "tensorrt" : "cpu";

    private static CalibrationTable ReadTable(string path, QdqPlan plan)
    {
        var table = CalibrationTable.Read(path);
        table.CheckCovers(plan.TensorsToCalibrate, path);
        return table;
    }

    /// <summary>
    /// The exact FP32 rewrites static quantization wants first, once, before the plan, calibration and the accuracy
    /// budget's rounds: cross-layer equalization (channel ranges shared between consecutive Convs), HardSwish split into
    /// x · HardSigmoid(x) for the CPU target (integer kernels for both halves), and SmoothQuant (which dynamic
    /// quantization with <c>--activations dynamic --calibrate DIR</c> takes too).
    /// The per-layer errors are then measured against this model, whose values are the quantized model's reference.
    /// </summary>
    /// <returns>The passes' records, and <paramref name="q"/> with SmoothQuant's alpha chosen when it asked for auto.</returns>
    public static (IReadOnlyList<PassRecord> Records, QuantizeOptions Q) Prepare(Model model, QuantizeOptions q, OptimizeOptions options, PassContext context, TextWriter stderr)
    {
        var records = new List<PassRecord>();
        records.AddRange(HalfWidening.Run(model, context, stderr, _ => "then quantized"));
        // dynamic INT8 takes SmoothQuant only (--activations dynamic with --calibrate): the rest serves calibrated ranges
        if (q.IsStatic)
        {
            if (q.Target == QuantizationTarget.Cpu) records.AddRange(PassRunner.Run(model, [new SplitHardSwish()], context));
            (var equalization, q) = EqualizationChoice.Apply(model, q, options, context, stderr);
            records.AddRange(equalization);
        }
        var remedies = new[] { (q.BiasCorrection, "--bias-correction"), (q.Gptq, "--weight-rounding gptq"), (q.SmoothQuant is not null || q.SmoothQuantAuto, "--smooth-quant") }
            .Where(r => r.Item1).Select(r => r.Item2).ToList();
        if (remedies.Count > 0 && BodyLayers.Find(model) is { Count: > 0 } inBodies)
            stderr.WriteLine($"note: {string.Join(" and ", remedies)} reach{(remedies.Count == 1 ? "es" : "")} the main graph's layers only: {inBodies.Count} Conv/Gemm/MatMul inside "
                             + "If/Loop/Scan bodies keep their weights and biases as round-to-nearest quantization leaves them");
        var (resolved, maxima) = SmoothQuantChoice.Resolve(model, q, options, context, stderr);
        records.AddRange(Smooth(model, resolved, options, context, stderr, maxima));
        return (records, resolved);
    }

    /// <summary>
    /// <c>--smooth-quant ALPHA</c>: runs the pass on the per-channel maxima of the MatMul/Gemm inputs it can smooth
    /// (<paramref name="measured"/>, else measured here on the calibration data), before the quantization plan (which
    /// then sees the smoothed model).
    /// </summary>
    public static IReadOnlyList<PassRecord> Smooth(Model model, QuantizeOptions q, OptimizeOptions options, PassContext context, TextWriter stderr,
        IReadOnlyDictionary<string, float[]>? measured = null)
    {
        if (q.SmoothQuant is not { } alpha || q.CalibrateDir is null) return [];
        var maxima = measured ?? MeasureSmoothing(model, q, options, stderr, context.Cancellation);
        return PassRunner.Run(model, [new SmoothQuant((float)alpha, maxima), new InferShapes()], context);
    }

    /// <summary>The per-channel maxima, on the calibration data, of the MatMul/Gemm inputs SmoothQuant can smooth.</summary>
    /// <param name="bytes">The model as written, when the caller has it already.</param>
    public static IReadOnlyDictionary<string, float[]> MeasureSmoothing(Model model, QuantizeOptions q, OptimizeOptions options, TextWriter stderr, CancellationToken cancel,
        byte[]? bytes = null)
    {
        var sites = SmoothQuant.Sites(model);
        if (sites.Count == 0 || q.CalibrateDir is not { } folder) return new Dictionary<string, float[]>();
        stderr.WriteLine($"measuring the per-channel maxima of {sites.Count} MatMul/Gemm inputs on {folder}");
        var settings = new CalibrationSettings { MaxSamples = q.CalibrationSamples, Session = options.SpeedSession };
        return ChannelMaxima.Collect(bytes ?? ModelWriter.ToBytes(model), sites, InputData.Open(folder, options), settings, cancel);
    }


    private static CalibrationTable Calibrate(Model model, QdqPlan plan, QuantizeOptions q, OptimizeOptions options, PassContext context,
        IEnumerable<string>? keepFloat, TextWriter stderr)
    {
        var cancel = context.Cancellation;
        var folder = q.CalibrateDir!;
        var data = InputData.Open(folder, options);
        var total = q.CalibrationSamples is { } n ? Math.Min(n, data.Count) : data.Count;
        var settings = new CalibrationSettings
        {
            Method = q.Method,
            Percentile = q.Percentile,
            MaxSamples = q.CalibrationSamples,
            Symmetric = q.Target == QuantizationTarget.TensorRt,
            Session = options.SpeedSession,
            AlsoRead = q.CompareMethods ?? [],
        };
        var bytes = ModelWriter.ToBytes(model);
        var statistics = BenchProgressDisplay.Run<(int Done, int? Total), CalibrationStatistics>(stderr,
            p => ($"calibrating on {total} samples of {folder}", p.Done, p.Total ?? total),
            progress => Calibrator.Collect(bytes, plan.TensorsToCalibrate, data, settings, (done, all) => progress.Report((done, all)), cancel));
        if (statistics.SampleCount == 0) throw new InvalidInputException($"--calibrate {folder}: no samples were read");
        var seconds = statistics.Elapsed.TotalSeconds;
        var atOnce = statistics.Workers > 1 ? $"{statistics.Workers} at a time, " : "";
        stderr.WriteLine($"calibrated {statistics.SampleCount} samples in {seconds:0.00} s ({atOnce}{statistics.SampleCount / Math.Max(seconds, 1e-9):0.0} samples/s; {statistics.DataWait.TotalSeconds:0.00} s of it waiting for data)");
        return CalibrationMethodChoice.Choose(bytes, statistics, settings, FileHash.FolderSha256(folder), q, options, context, keepFloat, stderr);
    }
}

/// <summary>What quantization did, and the calibration table to write next to the model.</summary>
public sealed record QuantizationOutcome(QuantizationReport Report, CalibrationTable? Table, IReadOnlyList<PassRecord> Records, IReadOnlyList<string> Nodes);

/// <summary>A node and why it is as it is.</summary>
public sealed record NodeReason(string Node, string Reason)
{
    public string? OpType { get; init; }
}

/// <summary>The "quantization" section of OUT/report.json and of the manifest.</summary>
public sealed record QuantizationReport
{
    public required string Mode { get; init; }
    public required string Target { get; init; }
    public string? Method { get; init; }
    /// <summary>With --calibration-method best: each compared method's worst output SQNR (dB) against FP32 on the calibration samples.</summary>
    public IReadOnlyDictionary<string, double>? ComparedMethods { get; init; }
    /// <summary>The metric of <see cref="ComparedMethods"/>: "sqnr" or the budget's gate that decided.</summary>
    public string? ComparedBy { get; init; }
    /// <summary>The data the compared models ran on when not the calibration data (the budget's --validate folder).</summary>
    public string? ComparedOn { get; init; }
    public int? ComparedSamples { get; init; }
    public double? Percentile { get; init; }
    /// <summary>SmoothQuant's alpha (<c>--smooth-quant</c>), when the activations were smoothed first.</summary>
    public double? SmoothQuant { get; init; }
    /// <summary>With <c>--smooth-quant auto</c>: each compared alpha ("off": not smoothed) and what it measured.</summary>
    public MethodComparison? SmoothQuantCompared { get; init; }
    /// <summary>Static INT8: whether cross-layer equalization ran (on how many Conv pairs), and why (what auto measured).</summary>
    public EqualizationOutcome? CrossLayerEqualization { get; init; }
    /// <summary>With <c>--bias-correction</c>: the Conv/Gemm biases corrected and the mean channel error each round.</summary>
    public BiasCorrectionReport? BiasCorrection { get; init; }
    /// <summary>With <c>--weight-rounding gptq</c>: the layers whose int8 weights GPTQ chose, and their error against round-to-nearest's.</summary>
    public GptqReport? Gptq { get; init; }
    public int? Samples { get; init; }
    /// <summary>Seconds calibration took (null when the ranges came from --calibration-table).</summary>
    public double? CalibrationSeconds { get; init; }
    /// <summary>The part of <see cref="CalibrationSeconds"/> spent waiting for samples to be read (image decoding, say).</summary>
    public double? CalibrationDataWaitSeconds { get; init; }
    /// <summary>With --calibration-method auto: how many tensors got each method.</summary>
    public IReadOnlyDictionary<string, int>? ChosenMethods { get; init; }
    public string? CalibrationData { get; init; }
    public string? CalibrationDataSha256 { get; init; }
    public string? CalibrationTable { get; init; }
    public long? OpsetUpgradedFrom { get; init; }
    public int QuantizedNodes { get; init; }
    /// <summary>How many nodes of each op type were quantized.</summary>
    public IReadOnlyDictionary<string, int>? QuantizedOpTypes { get; init; }
    public IReadOnlyList<NodeReason> LeftInFloat { get; init; } = [];
    /// <summary>Per-layer error against FP32 on the --validate data, worst first (with --validate).</summary>
    public IReadOnlyList<Runtime.Validation.LayerError>? LayerErrors { get; init; }
    /// <summary>The accuracy budget loop (with --validate and gates).</summary>
    public BudgetReport? Budget { get; init; }
    /// <summary>Dynamic within a budget without --per-tensor: whether weights per tensor held it (and were kept); null when not tried.</summary>
    public bool? WeightsPerTensorByBudget { get; init; }
}
