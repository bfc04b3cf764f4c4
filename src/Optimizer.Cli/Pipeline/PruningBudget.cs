using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Pruning;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// Pruning within an accuracy budget (<c>--validate DIR --max-accuracy-drop ...</c>): the amount (or threshold) asked
/// is tried first; while a gate is missed it is scaled down for every layer alike, by bisection between nothing and
/// the last miss, for a few rounds, each candidate validated against the input model (as the INT8 budget does, with
/// its <see cref="QuantizationBudget.Validate"/>). The largest amount that held is applied; nothing is pruned when
/// none did. The 2:4 pattern has no amount to lower and is applied as asked.
/// </summary>
public static class PruningBudget
{
    private const int BisectRounds = 5;

    public static PruningOutcome Run(Model model, PruneOptions prune, OptimizeOptions options, PassContext context, TextWriter stderr, PipelineValidation? validation)
    {
        if (validation is not { Gates.Count: > 0 } || prune.Settings.TwoFour) return PruningStep.Run(model, prune, prune.Settings, context);
        var original = ModelWriter.ToBytes(model);
        var steps = new List<PruningBudgetStep>();
        using var scratch = new QuantizationBudget.ScratchFile();

        bool Passes(double scale)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var candidate = ModelReader.Read(new MemoryStream(original), null);
            var settings = Scaled(prune.Settings, scale);
            var outcome = PruningStep.Run(candidate, prune, settings, new PassContext(context.Options, cancellation: context.Cancellation));
            var report = QuantizationBudget.Validate(candidate, scratch, options, validation, context.Cancellation);
            steps.Add(new PruningBudgetStep(settings.Amount, settings.Threshold, outcome.Report.ChannelsRemoved, report.Passed,
                report.Gates.Select(g => $"{g.Gate} {g.Actual:G6}").ToList()));
            if (!report.Passed)
                stderr.WriteLine($"accuracy budget missed when pruning {Describe(settings)} ({string.Join(", ", report.Gates.Where(g => !g.Passed).Select(g => $"{g.Gate} {g.Actual:G6}"))})");
            return report.Passed;
        }

        var best = 1.0;
        if (!Passes(1.0))
        {
            var (held, missed) = (0.0, 1.0);
            for (var i = 0; i < BisectRounds; i++)
            {
                var mid = (held + missed) / 2;
                if (Passes(mid)) held = mid;
                else missed = mid;
            }
            best = held;
        }
        var reached = Scaled(prune.Settings, best);
        stderr.WriteLine(best == 1.0 ? $"accuracy budget held pruning {Describe(reached)}"
            : best > 0 ? $"accuracy budget held pruning {Describe(reached)} (lowered from {Describe(prune.Settings)})"
            : "accuracy budget missed at every amount tried: nothing pruned");
        var final = PruningStep.Run(model, prune, reached, context);
        return final with { Report = final.Report with { Budget = new PruningBudgetReport(best > 0 || steps[0].Passed, reached.Amount, reached.Threshold, steps) } };
    }

    private static PruningSettings Scaled(PruningSettings s, double scale) =>
        s with { Amount = s.Amount * scale, Threshold = s.Threshold * scale };

    private static string Describe(PruningSettings s) => s.Amount is { } a ? $"amount {a:0.####}" : $"threshold {s.Threshold:G4}";
}

/// <summary>One round of the pruning budget: the amount or threshold tried, channels removed, whether the gates held.</summary>
public sealed record PruningBudgetStep(double? Amount, double? Threshold, int? ChannelsRemoved, bool Passed, IReadOnlyList<string> Gates);

/// <summary>The pruning budget's outcome: whether it held, the amount (or threshold) reached, and the rounds.</summary>
public sealed record PruningBudgetReport(bool Passed, double? AmountReached, double? ThresholdReached, IReadOnlyList<PruningBudgetStep> Steps);
