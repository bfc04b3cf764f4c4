using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// Quantization within an accuracy budget. The FP32 model (after the passes) is quantized and measured against
/// the input model on the --validate data. While a gate is missed, the quantized nodes are ranked once by
/// sensitivity (the output SQNR against FP32 when only that node is quantized) and the most sensitive go back to
/// float (<see cref="BudgetSearch"/>: 1, then 2, 4, ... at a time, then bisection), re-quantizing (with the same
/// calibrated ranges) and re-validating, until the budget holds or nothing is left. With --validate, the per-layer SQNR of
/// the final model against FP32 goes into the report.
/// </summary>
public static class QuantizationBudget
{
    /// <summary>
    /// <paramref name="q"/> with the choices made by measurement (the calibration method, SmoothQuant's alpha) judged as
    /// the nodes kept in float are: by the budget's own output gates on its data. Without an output gate there is no
    /// budget, and the --validate data stays held out: the calibration samples decide.
    /// </summary>
    public static QuantizeOptions JudgedBy(QuantizeOptions q, PipelineValidation? validation)
    {
        var outputGates = validation?.Gates.Where(g => g.Metric is not (GateMetric.Speedup or GateMetric.Accuracy)).ToList() ?? [];
        return outputGates.Count > 0 ? q with { CompareBy = outputGates, CompareOn = validation!.DataDir } : q;
    }

    public static QuantizationOutcome Run(Model model, QuantizeOptions q, OptimizeOptions options, PassContext context,
        TextWriter stderr, PipelineValidation? validation)
    {
        if (validation is null) return QuantizationStep.Run(model, q, options, context, stderr);
        q = JudgedBy(q, validation);
        var fp32 = ModelWriter.ToBytes(model);
        // Opened once: every ranking run and the final per-layer measure read the same validation samples.
        var data = InputData.Open(validation.DataDir, options);
        var steps = new List<BudgetStep>();
        using var scratch = new ScratchFile();
        CalibrationTable? table = null;
        IReadOnlyList<Sensitivity> ranking = [];

        Round Try(int inFloat) => TryWith(q, inFloat);

        Round TryWith(QuantizeOptions with, int inFloat)
        {
            var keep = ranking.Take(inFloat).Select(r => r.Node).ToList();
            var (candidate, outcome) = Quantize(fp32, with, options, context, stderr, keep, table);
            table ??= outcome.Table;
            var report = Validate(candidate, scratch, options, validation, context.Cancellation);
            var weights = with.PerTensor == true ? "per tensor" : null;
            steps.Add(new BudgetStep(keep.Count, report.Passed, BudgetSearch.Figures(report)) { Weights = weights });
            if (!report.Passed)
                stderr.WriteLine($"accuracy budget missed with {keep.Count} nodes in float{(weights is null ? "" : $" and weights {weights}")} ({BudgetSearch.Missed(report)})");
            return new Round(inFloat, candidate, outcome, report.Passed, keep);
        }

        // Dynamic int8 weights with one scale per tensor run 3-4 % faster in ONNX Runtime's integer kernels than with one
        // per output channel (bert_mini 2.005 -> 1.933 ms, arctic_embed_xs 6.26 -> 6.06 ms, side by side at 1 thread) but
        // cost pretrained transformers their accuracy (arctic: worst cosine 0.985 against 0.998): within a budget, per
        // tensor is tried first and kept when it holds; --per-tensor given either way decides alone.
        Round? perTensor = null;
        if (!q.IsStatic && q.PerTensor is null && validation.Gates.Count > 0)
        {
            perTensor = TryWith(q with { PerTensor = true }, 0);
            stderr.WriteLine(perTensor.Passed
                ? "weights per tensor hold the accuracy budget (they run faster than per output channel): kept"
                : "weights per output channel, as per tensor missed the accuracy budget");
        }
        var best = perTensor is { Passed: true } ? perTensor : BudgetSearch.Run(Try, r => r.Passed, r => r.InFloat, first =>
        {
            if (validation.Gates.Count == 0) return 0;
            ranking = Rank(fp32, first.Outcome.Nodes, q, options, context, stderr, table, data);
            return ranking.Count;
        });
        CopyInto(model, best.Model);
        var layers = MeasureLayers(fp32, best.Outcome.Nodes, best.Model, data, context.Cancellation, out var measurable);
        if (measurable > layers.Count)
            stderr.WriteLine($"note: {measurable - layers.Count} of the {measurable} quantized nodes have no per-layer error: no validation sample computed their output "
                             + "(an If branch the data never took, a loop that never ran)");
        var budget = validation.Gates.Count == 0 ? null : new BudgetReport(best.Passed, best.KeptInFloat, steps, ranking);
        if (budget is { KeptInFloat.Count: > 0 })
        {
            stderr.WriteLine($"accuracy budget {(best.Passed ? "held" : "missed")} with {best.KeptInFloat.Count} nodes in float: {string.Join(", ", best.KeptInFloat)}");
            if (DynamicHint(q, model, best.KeptInFloat) is { } hint) stderr.WriteLine(hint);
        }
        return best.Outcome with
        {
            Report = best.Outcome.Report with { LayerErrors = layers, Budget = budget, WeightsPerTensorByBudget = perTensor is null ? null : perTensor.Passed },
        };
    }

    /// <summary>MatMul/Gemm back in float under static INT8 from which dynamic INT8 is suggested.</summary>
    public const int DynamicHintFrom = 4;

    /// <summary>
    /// A note when a static budget returned several MatMul/Gemm to float on the CPU: a transformer's activations (outlier
    /// channels, ranges that differ by sentence) are what static ranges serve worst and dynamic INT8 best (all-MiniLM-L6-v2:
    /// 20 nodes float statically for a pooled cosine of 0.998, 2 dynamically after SmoothQuant).
    /// </summary>
    public static string? DynamicHint(QuantizeOptions q, Model model, IReadOnlyCollection<string> keptInFloat)
    {
        if (!q.IsStatic || q.Target != Passes.Quantization.QuantizationTarget.Cpu) return null;
        var matmuls = model.Graph.AllNodes().Count(n => n.OpType is "MatMul" or "Gemm" && keptInFloat.Contains(n.Name));
        return matmuls < DynamicHintFrom ? null
            : $"note: {matmuls} MatMul/Gemm are back in float; dynamic INT8 quantizes their activations on each run instead of with calibrated ranges, "
              + "which transformers often need: try --activations dynamic --smooth-quant auto (with this --calibrate data)";
    }

    private sealed record Round(int InFloat, Model Model, QuantizationOutcome Outcome, bool Passed, IReadOnlyList<string> KeptInFloat);

    private static (Model Model, QuantizationOutcome Outcome) Quantize(byte[] fp32, QuantizeOptions q, OptimizeOptions options, PassContext context,
        TextWriter stderr, IEnumerable<string> keepFloat, CalibrationTable? table)
    {
        context.Cancellation.ThrowIfCancellationRequested();
        var candidate = ModelReader.Read(new MemoryStream(fp32), null);
        var outcome = QuantizationStep.Run(candidate, q, options, new PassContext(context.Options, cancellation: context.Cancellation), stderr, keepFloat, table);
        return (candidate, outcome);
    }

    /// <summary>The candidate against the input model on the --validate data, with its gates (the pruning budget uses it too).</summary>
    internal static ValidationReport Validate(Model candidate, ScratchFile scratch, OptimizeOptions options, PipelineValidation validation, CancellationToken cancel)
    {
        File.WriteAllBytes(scratch.Path, ModelWriter.ToBytes(candidate));
        return Validator.Run(new ValidateOptions
        {
            BaselinePath = RunnableInput.PathFor(options),
            CandidatePath = scratch.Path,
            Data = validation.DataOptionsFor(options),
            Gates = validation.Gates,
            FeedBack = validation.FeedBack,
            TimeLatency = validation.Gates.Any(g => g.Metric == GateMetric.Speedup),
            Session = options.ComparisonSession,
            LatencySession = options.SpeedSession,
        }, cancel: cancel);
    }

    /// <summary>How often the ranking says how far it is.</summary>
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(30);

    /// <summary>Validation samples each node's sensitivity is measured on (the first ones): a ranking, not the verdict.</summary>
    public const int RankingSamples = 32;

    /// <summary>
    /// Each quantized node alone: the model's worst output SQNR against FP32 on <see cref="RankingSamples"/> samples spread over
    /// validation samples when only it is quantized, most sensitive first. The FP32 outputs are computed once; each
    /// candidate runs as deployed (ONNX Runtime's optimizations on, Q/DQ fused).
    /// </summary>
    private static IReadOnlyList<Sensitivity> Rank(byte[] fp32, IReadOnlyList<string> nodes, QuantizeOptions q, OptimizeOptions options, PassContext context,
        TextWriter stderr, CalibrationTable? table, DataSet data)
    {
        var reference = ReferenceOutputs.Compute(fp32, data.ReadSpread(RankingSamples), options.SpeedSession, context.Cancellation);
        // A reading gate (ctc-agreement) is ranked by the time steps each node changes: whole readings of a few dozen
        // lines rarely change when one node is quantized, and the output SQNR follows the reading poorly.
        var ctc = q.CompareBy.FirstOrDefault(g => g.Metric == GateMetric.CtcAgreement);
        // A pooled-embedding gate is ranked by the pooled vectors: the whole output's SQNR also weighs padding tokens.
        var pooled = ctc is null && q.CompareBy.Any(g => g.Metric == GateMetric.MinPooledCosine);
        // gates that each name an output (OUTPUT:METRIC=VALUE) rank by those outputs' SQNR alone (CompareBy holds output gates only)
        IReadOnlyList<OutputMetrics> Judged(IReadOnlyList<OutputMetrics> all) =>
            q.CompareBy.Count == 0 ? all : q.CompareBy.SelectMany(g => g.Judged(all)).Distinct().ToList();
        var result = new List<Sensitivity>();
        stderr.WriteLine($"ranking {nodes.Count} quantized nodes by sensitivity (each quantized alone, on {reference.Count} samples"
                         + (ctc is not null ? ", by the time steps whose arg-max changes, then output SQNR)" : pooled ? ", by the worst pooled cosine, then output SQNR)" : ")"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var said = TimeSpan.Zero;
        foreach (var node in nodes)
        {
            // a large model takes minutes to rank (isnet at 1024x1024: a second a node): a line every half minute says how far
            if (clock.Elapsed - said >= ProgressEvery && result.Count > 0)
            {
                said = clock.Elapsed;
                var left = clock.Elapsed / result.Count * (nodes.Count - result.Count);
                stderr.WriteLine($"ranked {result.Count} of {nodes.Count} nodes in {clock.Elapsed.TotalSeconds:0} s, about {left.TotalSeconds:0} s left");
            }
            // ranked without bias correction: it would cost a correction per node, and moves the ranking little
            var (alone, _) = Quantize(fp32, q with { BiasCorrection = false }, options, context, TextWriter.Null, nodes.Where(n => n != node), table);
            var metrics = reference.Compare(ModelWriter.ToBytes(alone), "quantized model", options.SpeedSession, ctcBlanks: ctc is null ? null : [ctc.BlankClass],
                cancel: context.Cancellation);
            var steps = ctc is null ? null : metrics.Select(m => m.CtcAgreementFor(ctc.BlankClass)?.StepAgreement).Where(a => a is not null).Min();
            var pooledCosine = pooled ? metrics.Select(m => m.MinPooledCosine).Where(c => c is not null).Min() : null;
            result.Add(new Sensitivity(node, ReferenceOutputs.WorstSqnr(Judged(metrics))) { StepAgreement = steps, PooledCosine = pooledCosine });
        }
        return result.OrderBy(s => s.StepAgreement ?? 1).ThenBy(s => s.PooledCosine ?? 1).ThenBy(s => s.OutputSqnrDb).ToList();
    }

    /// <summary>Per-layer SQNR of the quantized nodes' outputs against the FP32 model, worst first.</summary>
    /// <param name="measurable">How many quantized nodes have a float output to measure (a node whose branch never ran is not in the result).</param>
    private static IReadOnlyList<LayerError> MeasureLayers(byte[] fp32, IReadOnlyList<string> quantized, Model candidate, DataSet data, CancellationToken cancel,
        out int measurable)
    {
        var quantizedNodes = quantized.ToHashSet(StringComparer.Ordinal);
        var nodes = new Dictionary<string, (string Node, string OpType)>(StringComparer.Ordinal);
        foreach (var n in ModelReader.Read(new MemoryStream(fp32), null).Graph.AllNodes())
            if (quantizedNodes.Contains(n.Name) && n.Outputs.Count > 0 && n.Outputs[0] is { } o)
                nodes[o.Name] = (n.Name, n.OpType);
        var notComputed = new List<string>();
        var layers = nodes.Count == 0 ? [] : LayerErrorMeter.Measure(fp32, ModelWriter.ToBytes(candidate), nodes.Keys.ToList(), nodes, data.Read(), cancel, notComputed);
        measurable = layers.Count + notComputed.Count;
        return layers;
    }

    /// <summary>Makes <paramref name="target"/> the model <paramref name="source"/> is: its graph, IR version, opsets, functions and metadata.</summary>
    internal static void CopyInto(Model target, Model source)
    {
        target.Graph = source.Graph;
        target.IrVersion = source.IrVersion;
        target.OpsetImports.Clear();
        target.OpsetImports.AddRange(source.OpsetImports);
        target.Functions.Clear();
        target.Functions.AddRange(source.Functions);
        target.Metadata.Clear();
        target.Metadata.AddRange(source.Metadata);
    }

    internal sealed class ScratchFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"optimizer-budget-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");

        public void Dispose()
        {
            try { File.Delete(Path); } catch (IOException) { }
        }
    }
}

/// <summary>One quantized node's sensitivity: the model's worst output SQNR (dB) against FP32 when only it is quantized.</summary>
public sealed record Sensitivity(string Node, double OutputSqnrDb)
{
    /// <summary>With a ctc-agreement gate: the fraction of time steps whose arg-max stays the same when only this node is quantized.</summary>
    public double? StepAgreement { get; init; }

    /// <summary>With a min-pooled-cosine gate: the worst pooled cosine of the token-vector outputs when only this node is quantized.</summary>
    public double? PooledCosine { get; init; }
}

/// <summary>One round of the budget loop: how many nodes were float, whether the gates held, and their figures.</summary>
public sealed record BudgetStep(int NodesInFloat, bool Passed, IReadOnlyList<string> Gates)
{
    /// <summary>"per tensor" for the round that tried dynamic weights with one scale per tensor (null: per output channel, or static).</summary>
    public string? Weights { get; init; }
}

/// <summary>The accuracy budget's outcome: whether it held, the nodes returned to float, the rounds, the sensitivity ranking.</summary>
public sealed record BudgetReport(bool Passed, IReadOnlyList<string> KeptInFloat, IReadOnlyList<BudgetStep> Steps, IReadOnlyList<Sensitivity> Sensitivity);
