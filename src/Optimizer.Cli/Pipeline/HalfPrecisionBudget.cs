using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// FP16/BF16 within an accuracy budget. The fully converted model is validated against the input model on the
/// --validate data; when a gate is missed, the converted nodes are ranked once by their own error on that data (how
/// much SQNR a node's output loses against FP32 beyond the worst of its inputs: the error it adds, not the error it
/// inherits), and the worst go back to float32 by <see cref="BudgetSearch"/>, converting again (with the same observed
/// ranges) and re-validating, until the budget holds or nothing is left.
/// </summary>
public static class HalfPrecisionBudget
{
    public static HalfPrecisionOutcome Run(Model model, QuantizeOptions q, OptimizeOptions options, PassContext context,
        TextWriter stderr, PipelineValidation? validation)
    {
        if (validation is null) return HalfPrecisionStep.Run(model, q, options, context, stderr);
        if (!q.Half!.KeepIoTypes)
            throw new Onnx.Errors.InvalidInputException("--validate feeds the data to both models as it is, in float32: with --no-keep-io-types the model takes half inputs; validate with --keep-io-types (the default)");
        var fp32 = ModelWriter.ToBytes(model);
        var data = InputData.Open(validation.DataDir, options);
        var steps = new List<BudgetStep>();
        using var scratch = new QuantizationBudget.ScratchFile();
        ObservedRanges? ranges = null;
        IReadOnlyList<NodeError> ranking = [];
        var quiet = false;

        Round Try(int inFloat)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var keep = ranking.Take(inFloat).Select(r => r.Node).ToList();
            var candidate = ModelReader.Read(new MemoryStream(fp32), null);
            // The first round says what it warns about; the later ones would repeat it.
            var outcome = HalfPrecisionStep.Run(candidate, q, options, new PassContext(context.Options, cancellation: context.Cancellation), quiet ? TextWriter.Null : stderr, keep, ranges);
            (quiet, ranges) = (true, ranges ?? outcome.Ranges);
            var report = QuantizationBudget.Validate(candidate, scratch, options, validation, context.Cancellation);
            steps.Add(new BudgetStep(keep.Count, report.Passed, BudgetSearch.Figures(report)));
            if (!report.Passed)
                stderr.WriteLine($"accuracy budget missed with {keep.Count} nodes in float32 ({BudgetSearch.Missed(report)})");
            return new Round(keep.Count, candidate, outcome, report.Passed, keep);
        }

        var best = BudgetSearch.Run(Try, r => r.Passed, r => r.InFloat, first =>
        {
            if (validation.Gates.Count == 0) return 0;
            ranking = Rank(fp32, first.Model, data, context.Cancellation);
            stderr.WriteLine($"ranked {ranking.Count} converted nodes by the error each adds on {validation.DataDir}");
            return ranking.Count;
        });
        QuantizationBudget.CopyInto(model, best.Model);
        if (validation.Gates.Count == 0) return best.Outcome;
        var budget = new BudgetReport(best.Passed, best.KeptInFloat, steps, []);
        stderr.WriteLine($"accuracy budget {(best.Passed ? "held" : "missed")} with {best.KeptInFloat.Count} nodes in float32{(best.KeptInFloat.Count > 0 ? ": " + string.Join(", ", best.KeptInFloat) : "")}");
        return best.Outcome with { Report = best.Outcome.Report with { Budget = budget, NodeErrors = ranking } };
    }

    private sealed record Round(int InFloat, Model Model, HalfPrecisionOutcome Outcome, bool Passed, IReadOnlyList<string> KeptInFloat);

    /// <summary>
    /// The converted main-graph nodes, worst first, by the SQNR (dB) their output loses against FP32 beyond the worst
    /// of their measured float inputs; a node reading only graph inputs and constants is measured against
    /// <see cref="ExactDb"/>, what an exact value would score.
    /// </summary>
    private static IReadOnlyList<NodeError> Rank(byte[] fp32, Model converted, DataSet data, CancellationToken cancel)
    {
        var reference = ModelReader.Read(new MemoryStream(fp32), null);
        var halfNodes = converted.Graph.Nodes.Where(n => n.Name.Length > 0 && n.OpType != "Cast" && n.Outputs.Any(o => o?.ElementType is ElementType.Float16 or ElementType.BFloat16))
            .Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var nodes = reference.Graph.Nodes.Where(n => halfNodes.Contains(n.Name) && n.Outputs.Count > 0 && n.Outputs[0] is { ElementType: ElementType.Float }).ToList();
        var names = nodes.ToDictionary(n => n.Output().Name, n => (n.Name, n.OpType), StringComparer.Ordinal);
        var errors = LayerErrorMeter.Measure(fp32, ModelWriter.ToBytes(converted), names.Keys.ToList(), names, data.Read(), cancel)
            .ToDictionary(e => e.Value, e => e.SqnrDb, StringComparer.Ordinal);
        var result = new List<NodeError>();
        foreach (var node in nodes)
        {
            if (!errors.TryGetValue(node.Output().Name, out var output)) continue;
            // an input computed by a node whose error was not measured (an If's output, say) carries an error of its own
            // that cannot be told from this node's: nothing is blamed on the node; nor on one that only moves values
            var unknown = node.Inputs.Any(v => v is { Producer: not null, ElementType: ElementType.Float } && !errors.ContainsKey(v.Name) && Patterns.Constant(v) is null);
            var inherited = node.Inputs.Where(v => v is not null && errors.ContainsKey(v.Name)).Select(v => errors[v!.Name]).DefaultIfEmpty(ExactDb).Min();
            var added = unknown || MovesValues.Contains(node.OpType) ? 0 : Math.Max(0, Math.Min(inherited, ExactDb) - output);
            result.Add(new NodeError(node.Name, node.OpType, Math.Round(output, 2), Math.Round(added, 2)));
        }
        return result.OrderByDescending(e => e.AddedLossDb).ToList();
    }

    /// <summary>Ops whose float16 output holds exactly the float16 values they read: they add no error of their own.</summary>
    private static readonly HashSet<string> MovesValues =
        ["Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Slice", "Gather", "Concat", "Split", "Expand", "Tile", "Pad", "MaxPool", "Relu"];

    /// <summary>The SQNR an exact value is taken to have (float32 rounding sits near 140 dB).</summary>
    private const double ExactDb = 120;
}

/// <summary>A converted node's error on the validation data: its output's SQNR against FP32 and how much of it the node itself added.</summary>
public sealed record NodeError(string Node, string OpType, double OutputSqnrDb, double AddedLossDb);
