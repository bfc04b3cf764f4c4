using System.Globalization;
using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Validation;

/// <summary>Checks gates against a report's figures: each gate takes the worst output, and says by how much it missed.</summary>
public static class GateEvaluator
{
    public static IReadOnlyList<GateResult> Evaluate(IEnumerable<Gate> gates, IReadOnlyList<OutputMetrics> outputs, AccuracyMetrics? accuracy, LatencyComparison latency) =>
        gates.Select(g => Evaluate(g, outputs, accuracy, latency)).ToList();

    private static GateResult Evaluate(Gate gate, IReadOnlyList<OutputMetrics> outputs, AccuracyMetrics? accuracy, LatencyComparison latency)
    {
        var (actual, output) = gate.Metric switch
        {
            GateMetric.Accuracy => (accuracy?.Drop ?? throw new InvalidInputException("gate accuracy needs labels (labels.txt or labels.csv in the data folder) and a classifier-like output, or text labels with a dictionary.txt for a CTC output"), accuracy.Output),
            GateMetric.Speedup => (latency.Speedup, (string?)null),
            _ => Worst(gate, outputs),
        };
        if (gate.Metric == GateMetric.Speedup && latency.Estimate is { } estimate) return SpeedupGate(gate, estimate);
        var passed = gate.HigherIsBetter ? actual >= gate.Threshold : actual <= gate.Threshold;
        var shown = actual.ToString("G6", CultureInfo.InvariantCulture);
        var where = output is null ? "" : $" on output '{output}'";
        var message = passed
            ? $"gate {gate.Condition} passed: {shown}{where}"
            : $"gate {gate.Condition} failed: {shown}{where}, {(gate.HigherIsBetter ? "short" : "over")} by {Math.Abs(actual - gate.Threshold).ToString("G4", CultureInfo.InvariantCulture)}";
        return new GateResult(gate.Name, gate.Condition, gate.Threshold, actual, output, passed, message);
    }

    /// <summary>
    /// A speed-up timed side by side fails only when its interval lies wholly below the threshold: a ratio of 0.98x
    /// whose interval reaches 1.03x is noise, not a slower model. The message says how sure the figure is.
    /// </summary>
    private static GateResult SpeedupGate(Gate gate, Benchmark.SpeedupEstimate estimate)
    {
        var passed = !estimate.SurelyBelow(gate.Threshold);
        var message = passed
            ? $"gate {gate.Condition} passed: {estimate.Describe()}{(estimate.Ratio < gate.Threshold ? "; below the threshold, but within the timing noise" : "")}"
            : $"gate {gate.Condition} failed: {estimate.Describe()}, the whole interval below {gate.Threshold.ToString("G4", CultureInfo.InvariantCulture)}";
        return new GateResult(gate.Name, gate.Condition, gate.Threshold, estimate.Ratio, null, passed, message);
    }

    /// <summary>An output gate's value on the worst output (lowest for a lower bound, highest for an upper bound), and that output.</summary>
    public static (double Value, string? Output) Worst(Gate gate, IReadOnlyList<OutputMetrics> outputs)
    {
        if (gate.Output is { } named && outputs.All(o => o.Name != named))
            throw new InvalidInputException($"gate {gate.Name}: the model has no output '{named}' (its outputs: {string.Join(", ", outputs.Select(o => o.Name))})");
        outputs = gate.Judged(outputs);
        var values = outputs
            .Select(o => (Value: gate.Metric switch
            {
                GateMetric.MaskAgreement => o.MaskAgreementAt(gate.At!.Value),
                GateMetric.CtcAgreement => o.CtcAgreementFor(gate.BlankClass)?.Agreement,
                _ => Pick(gate.Metric, o),
            }, o.Name))
            .Where(v => v.Value is { } x && !double.IsNaN(x))
            .Select(v => (Value: v.Value!.Value, v.Name))
            .ToList();
        if (values.Count == 0)
            throw new InvalidInputException($"gate {gate.Name}: no output has this metric{gate.Metric switch
            {
                GateMetric.Top1Agreement or GateMetric.Top5Agreement => " (it needs a classifier-like [N, C] output)",
                GateMetric.CtcAgreement => " (it needs an [N, T, C] output of per-step class scores)",
                GateMetric.MinPooledCosine => " (it needs an [N, T, C] output of token vectors)",
                GateMetric.Cosine or GateMetric.MinCosine when outputs.Any(o => o.CosineOverSamples)
                    => " (an output of one value per sample has a cosine only over two or more samples: give more, or gate max-abs or sqnr)",
                _ => " here",
            }}");
        var worst = gate.HigherIsBetter ? values.MinBy(v => v.Value) : values.MaxBy(v => v.Value);
        return (worst.Value, worst.Name);
    }

    private static double? Pick(GateMetric metric, OutputMetrics o) => metric switch
    {
        GateMetric.Top1Agreement => o.Top1Agreement,
        GateMetric.Top5Agreement => o.Top5Agreement,
        GateMetric.Cosine => o.CosineSimilarity,
        GateMetric.MinCosine => o.MinCosineSimilarity,
        GateMetric.MinPooledCosine => o.MinPooledCosine,
        GateMetric.Sqnr => o.SqnrDb,
        GateMetric.MaxAbs => o.MaxAbsError,
        GateMetric.MeanAbs => o.MeanAbsError,
        GateMetric.RelL2 => o.RelativeL2Error,
        _ => null,
    };
}
