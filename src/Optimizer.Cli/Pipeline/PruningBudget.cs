using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Pruning;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// Pruning within an accuracy budget (<c>--validate DIR --max-accuracy-drop ...</c>), each candidate validated against
/// the input model as the INT8 budget does (<see cref="QuantizationBudget.Validate"/>). The amount asked is tried
/// first. Structured: while a gate is missed, the groups that were pruned are ranked by sensitivity (the output's SQNR
/// against the unpruned model when only that group is pruned) and the most sensitive are kept whole, 1, 2, 4, … of
/// them, then a bisection narrows the count; the other groups keep the amount asked. Unstructured (no groups), or
/// when every group had to be kept whole: the amount or threshold is scaled down for every layer alike, by bisection.
/// The 2:4 pattern has no amount to lower.
/// The report gives the amount reached (channels or weights removed over those prunable) and every round.
/// </summary>
public static class PruningBudget
{
    private const int BisectRounds = 5;

    public static PruningOutcome Run(Model model, PruneOptions prune, OptimizeOptions options, PassContext context, TextWriter stderr, PipelineValidation? validation)
    {
        // half-precision weights are widened first: the passes prune float32 weights only
        var unwidened = UnwidenedModel.Snapshot(model);
        var widened = HalfWidening.ForPruning(model, options, context, stderr);
        var outcome = Within(model, prune, options, context, stderr, validation);
        if (widened.Count == 0) return outcome;
        if (unwidened is null || Reached(outcome.Report) > 0) return outcome with { Records = [.. widened, .. outcome.Records] };
        unwidened.Restore(model, stderr, "pruning removed nothing");
        return outcome;
    }

    private static PruningOutcome Within(Model model, PruneOptions prune, OptimizeOptions options, PassContext context, TextWriter stderr, PipelineValidation? validation)
    {
        if (validation is not { Gates.Count: > 0 } || prune.Settings.TwoFour) return PruningStep.Run(model, prune, prune.Settings, context);
        var budget = new Rounds(ModelWriter.ToBytes(model), prune, options, context, stderr, validation);
        var (full, passed) = budget.Try(prune.Settings);
        var chosen = prune.Settings;
        IReadOnlyList<GroupSensitivity> ranking = [];
        if (!passed && prune.Structured)
        {
            ranking = budget.Rank(full.Report.Groups!.Where(g => g.Removed > 0).ToList());
            PruningSettings Sparing(int n) => prune.Settings with { Spared = ranking.Take(n).SelectMany(r => r.Layers).ToHashSet(StringComparer.Ordinal) };
            var held = BudgetSearch.FewestHeldBack(ranking.Count, n => budget.Try(Sparing(n)).Passed, BisectRounds);
            passed = held is not null;
            chosen = Sparing(held ?? ranking.Count);
        }
        // Unstructured, or structured where every group had to be spared: a smaller amount everywhere.
        if (!passed || chosen.Spared.Count > 0 && chosen.Spared.Count == ranking.Sum(r => r.Layers.Count))
        {
            var (good, bad) = (0.0, 1.0);
            for (var i = 0; i < BisectRounds; i++)
            {
                var mid = (good + bad) / 2;
                if (budget.Try(Scaled(prune.Settings, mid)).Passed) good = mid;
                else bad = mid;
            }
            if (good > 0 || !passed) (passed, chosen) = (good > 0, Scaled(prune.Settings, good));
        }
        var final = PruningStep.Run(model, prune, chosen, context);
        var reached = Reached(final.Report);
        stderr.WriteLine(passed ? $"accuracy budget held pruning {reached:P1} of what was prunable" + (chosen.Spared.Count > 0 ? $", {ranking.Count(r => r.Layers.Any(chosen.Spared.Contains))} sensitive groups kept whole" : "")
            : "accuracy budget missed at every amount tried: nothing pruned");
        if (passed && NearlyNothing(prune.Settings, reached))
            stderr.WriteLine($"warning: the accuracy budget held, but with {reached:P1} of what was prunable removed where {Asked(prune)} was asked" +
                             (final.Report.ChannelsPrunable == 0 ? " (no channel was prunable)" : "") + ": the model is as good as unpruned");
        var spared = ranking.Where(r => r.Layers.Any(chosen.Spared.Contains)).Select(r => r.Group).ToList();
        return final with { Report = final.Report with { Budget = new PruningBudgetReport(passed, reached, chosen.Amount, chosen.Threshold, spared, ranking, budget.Steps) } };
    }

    /// <summary>What share of the prunable channels (structured) or of the weights (unstructured) was removed.</summary>
    private static double Reached(PruningReport r) => r.ChannelsRemoved is { } removed
        ? removed / (double)Math.Max(1, r.ChannelsPrunable ?? 1)
        : (r.Sparsity?.Sum(l => l.ZerosAfter - l.ZerosBefore) ?? 0) / (double)Math.Max(1, r.Sparsity?.Sum(l => l.Weights) ?? 1);

    /// <summary>Whether <paramref name="reached"/> is under 1 % of the amount asked (under 1 % of the prunable, for a threshold), when something was asked.</summary>
    private static bool NearlyNothing(PruningSettings asked, double reached) =>
        (asked.Amount ?? asked.Threshold) > 0 && reached < 0.01 * (asked.Amount ?? 1);

    private static string Asked(PruneOptions prune) => prune.Settings.Amount is { } amount
        ? $"--prune-amount {amount.ToString(System.Globalization.CultureInfo.InvariantCulture)} ({amount:P1})"
        : $"--prune-threshold {prune.Settings.Threshold?.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    private static PruningSettings Scaled(PruningSettings s, double scale) => s with { Amount = s.Amount * scale, Threshold = s.Threshold * scale };

    /// <summary>The budget's candidates: each pruned from the same unpruned model, validated, and recorded.</summary>
    private sealed class Rounds(byte[] unpruned, PruneOptions prune, OptimizeOptions options, PassContext context, TextWriter stderr, PipelineValidation validation)
    {
        public List<PruningBudgetStep> Steps { get; } = [];

        public (PruningOutcome Outcome, bool Passed) Try(PruningSettings settings)
        {
            var (candidate, outcome) = Prune(settings);
            using var scratch = new QuantizationBudget.ScratchFile();
            var report = QuantizationBudget.Validate(candidate, scratch, options, validation, context.Cancellation);
            Steps.Add(new PruningBudgetStep(settings.Amount, settings.Threshold, settings.Spared.Count, outcome.Report.ChannelsRemoved, report.Passed,
                BudgetSearch.Figures(report)));
            if (!report.Passed)
                stderr.WriteLine($"accuracy budget missed pruning {Reached(outcome.Report):P1}" + (settings.Spared.Count > 0 ? $" (sparing {settings.Spared.Count} layers)" : "")
                                 + $" ({BudgetSearch.Missed(report)})");
            return (outcome, report.Passed);
        }

        /// <summary>Each group pruned alone: the output's worst SQNR against the unpruned model, most sensitive first.</summary>
        public IReadOnlyList<GroupSensitivity> Rank(IReadOnlyList<ChannelGroup> groups)
        {
            stderr.WriteLine($"ranking {groups.Count} pruned groups by sensitivity (each pruned alone)");
            var all = groups.SelectMany(g => g.Layers).ToHashSet(StringComparer.Ordinal);
            var outputs = ModelReader.Read(new MemoryStream(unpruned), null).Graph.Outputs.Where(o => o.ElementType is ElementType.Float).Select(o => o.Name).ToList();
            var data = InputData.Open(validation.DataDir, options);
            var result = new List<GroupSensitivity>();
            foreach (var g in groups)
            {
                var (alone, _) = Prune(prune.Settings with { Spared = all.Except(g.Layers).ToHashSet(StringComparer.Ordinal) });
                var errors = LayerErrorMeter.Measure(unpruned, ModelWriter.ToBytes(alone), outputs, new Dictionary<string, (string, string)>(), data.Read(), context.Cancellation);
                result.Add(new GroupSensitivity(g.Id, g.Layers, errors.Count == 0 ? double.PositiveInfinity : errors.Min(e => e.SqnrDb)));
            }
            return result.OrderBy(s => s.OutputSqnrDb).ToList();
        }

        private (Model, PruningOutcome) Prune(PruningSettings settings)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var candidate = ModelReader.Read(new MemoryStream(unpruned), null);
            return (candidate, PruningStep.Run(candidate, prune, settings, new PassContext(context.Options, cancellation: context.Cancellation)));
        }
    }
}

/// <summary>A group's sensitivity: the model's worst output SQNR (dB) against the unpruned model when only it is pruned.</summary>
public sealed record GroupSensitivity(int Group, IReadOnlyList<string> Layers, double OutputSqnrDb);

/// <summary>One round of the pruning budget: the amount or threshold, layers spared, channels removed, whether the gates held.</summary>
public sealed record PruningBudgetStep(double? Amount, double? Threshold, int LayersSpared, int? ChannelsRemoved, bool Passed, IReadOnlyList<string> Gates);

/// <summary>The pruning budget's outcome: whether it held, the share removed, the settings reached, the groups kept whole, the ranking and the rounds.</summary>
public sealed record PruningBudgetReport(bool Passed, double Reached, double? Amount, double? Threshold, IReadOnlyList<int> SparedGroups,
    IReadOnlyList<GroupSensitivity> Sensitivity, IReadOnlyList<PruningBudgetStep> Steps);
