using System.Globalization;
using System.Text.Json.Serialization;
using Optimizer.Onnx.Errors;

namespace Optimizer.Runtime.Validation;

/// <summary>
/// A budget the candidate must meet. <c>--max-accuracy-drop METRIC=VALUE</c> gives one per metric: agreement,
/// cosine and SQNR are lower bounds, errors and the accuracy drop upper bounds; <c>--min-speedup X</c> gives a
/// speed-up lower bound. Every output must meet an output gate. <c>mask-agreement@T</c> carries its own parameter,
/// the threshold T that turns a score map into a mask (<see cref="At"/>); <c>ctc-agreement@K</c> may carry one, the
/// blank class K of a CTC output (<see cref="BlankClass"/>). <c>OUTPUT:METRIC=VALUE</c> judges that output alone
/// (<see cref="Output"/>): a detector's score map, not its box regressions.
/// </summary>
public sealed record Gate(GateMetric Metric, double Threshold, double? At = null)
{
    /// <summary>The one output this gate judges (null: every output, the worst one counts).</summary>
    public string? Output { get; init; }

    /// <summary>One or several gates, comma-separated (<c>min-cosine=0.99,top5-agreement=0.9</c>): no value holds a comma.</summary>
    public static IEnumerable<Gate> ParseList(string text) => Items(text).Select(Parse).ToList();

    /// <summary>The <c>METRIC=VALUE</c> items of one <c>--max-accuracy-drop</c> value.</summary>
    public static string[] Items(string text) => text.Split(',', StringSplitOptions.TrimEntries);

    public static Gate Parse(string text)
    {
        var eq = text.IndexOf('=');
        var key = eq > 0 ? text[..eq].Trim() : "";
        // OUTPUT:METRIC (an output name may hold ':' itself, as TensorFlow's 'Identity:0' does: the metric follows the last one)
        string? output = null;
        if (key.LastIndexOf(':') is var colon and > 0 && Names.ContainsKey(MetricPart(key[(colon + 1)..])))
            (output, key) = (key[..colon], key[(colon + 1)..]);
        var name = key.ToLowerInvariant();
        string? atText = null;
        if (name.IndexOf('@') is var sign and > 0)
            (name, atText) = (name[..sign], name[(sign + 1)..]);
        if (!Names.TryGetValue(name, out var metric) || !double.TryParse(text[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            throw new InvalidInputException($"--max-accuracy-drop '{text}': expected METRIC=VALUE with METRIC one of {string.Join(", ", Names.Keys.Select(Usage))}");
        var at = metric switch
        {
            GateMetric.MaskAgreement => MaskThreshold(text, atText, value),
            GateMetric.CtcAgreement => atText is null ? null : CtcGate.ParseBlank(text, atText),
            _ when atText is not null => throw new InvalidInputException($"--max-accuracy-drop '{text}': only {MaskAgreementName} and {CtcGate.Name} take '@'"),
            _ => (double?)null,
        };
        if (output is not null && metric is GateMetric.Speedup or GateMetric.Accuracy)
            throw new InvalidInputException($"--max-accuracy-drop '{text}': {Names.First(n => n.Value == metric).Key} is not measured per output; give it without '{output}:'");
        return new Gate(metric, value, at) { Output = output };
    }

    private static string MetricPart(string key) => (key.IndexOf('@') is var sign and > 0 ? key[..sign] : key).Trim().ToLowerInvariant();

    private static double MaskThreshold(string text, string? atText, double value)
    {
        if (atText is null)
            throw new InvalidInputException($"--max-accuracy-drop '{text}': {MaskAgreementName} needs the mask threshold, e.g. {MaskAgreementName}@0.3={value.ToString(CultureInfo.InvariantCulture)}");
        if (!double.TryParse(atText, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || !double.IsFinite(t))
            throw new InvalidInputException($"--max-accuracy-drop '{text}': '{atText}' after '@' is not a number ({MaskAgreementName}@0.3=0.99)");
        return t;
    }

    private static string Usage(string name) => name switch
    {
        MaskAgreementName => name + "@T",
        CtcGate.Name => name + "[@K]",
        _ => name,
    };

    public static Gate MinSpeedup(double value) => new(GateMetric.Speedup, value);

    /// <summary>The thresholds the mask-agreement gates among <paramref name="gates"/> ask <see cref="OutputStats"/> to count.</summary>
    public static List<double> MaskThresholds(IEnumerable<Gate> gates) =>
        gates.Where(g => g.Metric == GateMetric.MaskAgreement).Select(g => g.At!.Value).Distinct().ToList();

    /// <summary>The blank classes the ctc-agreement gates among <paramref name="gates"/> ask <see cref="OutputStats"/> to decode with.</summary>
    public static List<int> CtcBlanks(IEnumerable<Gate> gates) =>
        gates.Where(g => g.Metric == GateMetric.CtcAgreement).Select(g => g.BlankClass).Distinct().ToList();

    private const string MaskAgreementName = "mask-agreement";

    public string Name => (Output is { } o ? o + ":" : "") + Names.First(n => n.Value == Metric).Key + (At is { } t ? "@" + t.ToString("G6", CultureInfo.InvariantCulture) : "");

    /// <summary>The outputs among <paramref name="outputs"/> this gate judges: all, or its one output.</summary>
    public IReadOnlyList<OutputMetrics> Judged(IReadOnlyList<OutputMetrics> outputs) =>
        Output is null ? outputs : outputs.Where(o => o.Name == Output).ToList();

    /// <summary>A <c>ctc-agreement</c> gate's blank class: 0 unless <c>@K</c> names another (-1: the last class).</summary>
    [JsonIgnore]
    public int BlankClass => Metric == GateMetric.CtcAgreement ? (int)(At ?? 0) : throw new InvalidOperationException($"gate {Name} has no blank class");

    /// <summary>True when a higher value is better (the threshold is a lower bound).</summary>
    public bool HigherIsBetter => Metric is not (GateMetric.MaxAbs or GateMetric.MeanAbs or GateMetric.RelL2 or GateMetric.Accuracy);

    public string Condition => $"{Name} {(HigherIsBetter ? ">=" : "<=")} {Threshold.ToString("G6", CultureInfo.InvariantCulture)}";

    public static readonly IReadOnlyDictionary<string, GateMetric> Names = new Dictionary<string, GateMetric>
    {
        ["top1-agreement"] = GateMetric.Top1Agreement,
        ["top5-agreement"] = GateMetric.Top5Agreement,
        ["cosine"] = GateMetric.Cosine,
        ["min-cosine"] = GateMetric.MinCosine,
        ["min-pooled-cosine"] = GateMetric.MinPooledCosine,
        ["sqnr"] = GateMetric.Sqnr,
        ["max-abs"] = GateMetric.MaxAbs,
        ["mean-abs"] = GateMetric.MeanAbs,
        ["rel-l2"] = GateMetric.RelL2,
        [MaskAgreementName] = GateMetric.MaskAgreement,
        [CtcGate.Name] = GateMetric.CtcAgreement,
        ["accuracy"] = GateMetric.Accuracy,
        ["speedup"] = GateMetric.Speedup,
    };
}

public enum GateMetric { Top1Agreement, Top5Agreement, Cosine, MinCosine, Sqnr, MaxAbs, MeanAbs, RelL2, Accuracy, Speedup, MaskAgreement, CtcAgreement, MinPooledCosine }

/// <summary>One gate's outcome: the worst value found (and on which output), and a message saying by how much it missed.</summary>
public sealed record GateResult(string Gate, string Condition, double Threshold, double Actual, string? Output, bool Passed, string Message);
