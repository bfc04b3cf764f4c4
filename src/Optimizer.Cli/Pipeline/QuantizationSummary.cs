using System.Globalization;
using System.Text.RegularExpressions;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// The lines on stderr that say what <c>--quantize int8</c> did: which compute ops became int8 and which stayed float
/// and why (a CNN under dynamic INT8 keeps its Conv float; a recurrent model may get nothing quantized at all), and a
/// warning when the quantized model's outputs, measured while choosing the calibration method, are far from FP32's
/// and no budget was asked to check them. Without these the only trace was report.md.
/// </summary>
public static partial class QuantizationSummary
{
    /// <summary>A quoted tensor or node name in a reason: elided, so that one reason given for many nodes reads once.</summary>
    [GeneratedRegex("'[^']*'")]
    private static partial Regex Names();

    /// <summary>The ops that carry a model's arithmetic: the ones a user expects INT8 to reach.</summary>
    private static readonly string[] ComputeOps = ["Conv", "ConvTranspose", "MatMul", "Gemm", "LSTM", "GRU", "RNN"];

    /// <summary>
    /// Below this worst output SQNR on the calibration samples (the error a third of the signal, or more) the written
    /// model is warned about when no accuracy budget checked it: mobilenet_v2 with random weights (12.4 dB, worst cosine
    /// of the logits 0.962) and all-MiniLM-L6-v2 static (14.7 dB, pooled cosine 0.984) are below; squeezenet1_1 (38 dB),
    /// bert_mini and arctic_embed_xs (24-46 dB), the OCR classifier (50 dB) are not.
    /// </summary>
    public const double LowSqnrDb = 20;

    /// <summary>A reason whose names differ between nodes: the first name, and how many others, where each name stood.</summary>
    private static string Elided(string pattern, IEnumerable<string> reasons)
    {
        var names = reasons.SelectMany(r => Names().Matches(r).Select(m => m.Value)).Distinct(StringComparer.Ordinal).ToList();
        var others = names.Count - 1;
        return pattern.Replace("'…'", others > 0 ? $"{names[0]} (and {others} other{(others == 1 ? "" : "s")})" : names.FirstOrDefault() ?? "'…'");
    }

    /// <param name="validating">--validate was given (without gates when no budget ran): the warning then asks for the gates only.</param>
    public static void Write(QuantizationReport q, TextWriter stderr, bool validating = false)
    {
        var quantized = q.QuantizedOpTypes ?? new Dictionary<string, int>();
        var left = q.LeftInFloat.Where(l => l.OpType is { } t && ComputeOps.Contains(t))
            .GroupBy(l => l.OpType!)
            .OrderByDescending(g => g.Count())
            .Select(g => (OpType: g.Key, Count: g.Count(), Reasons: g.GroupBy(l => Names().Replace(l.Reason, "'…'")).OrderByDescending(r => r.Count())
                // names elided only where they differ: a reason that names one tensor keeps the name, one naming several
                // gives the first and how many others ("'a' (and 5 others)")
                .Select(r => (Count: r.Count(), Reason: r.Select(l => l.Reason).Distinct().Count() == 1 ? r.First().Reason : Elided(r.Key, r.Select(l => l.Reason)))).ToList()))
            .ToList();
        var inFloat = left.Count == 0 ? "" : "; in float: " + string.Join("; ", left.Select(l =>
            $"{l.Count} {l.OpType} ({string.Join("; ", l.Reasons.Select(r => l.Reasons.Count > 1 ? $"{r.Count}: {r.Reason}" : r.Reason))})"));
        if (q.QuantizedNodes == 0)
        {
            stderr.WriteLine($"warning: INT8 ({q.Mode}) quantized no node, so the model is written in float{(left.Count == 0 ? " (it has no Conv, MatMul, Gemm or recurrent op INT8 could take)" : inFloat.Replace("; in float", ""))}");
            if (q.Mode == "dynamic" && left.Any(l => l.OpType == "Conv"))
                stderr.WriteLine("note: static INT8 (--calibrate DIR) quantizes Conv");
            return;
        }
        var what = quantized.Count == 0 ? "" : " (" + string.Join(", ", quantized.Select(kv => $"{kv.Value} {kv.Key}")) + ")";
        stderr.WriteLine($"INT8 ({q.Mode}, {q.Target}): {q.QuantizedNodes} node{(q.QuantizedNodes == 1 ? "" : "s")} quantized{what}{inFloat}");
        if (q.Mode == "dynamic" && left.FirstOrDefault(l => l.OpType == "Conv") is { Count: > 0 } conv)
            stderr.WriteLine($"note: dynamic INT8 leaves the {conv.Count} Conv in float; static INT8 (--calibrate DIR) quantizes them");
        if (q.Budget is null && LowSqnr(q) is { } sqnr)
            // with --calibration-table the figure is the table's, measured by the run that wrote it on its own calibration
            // samples (this run has none): said so, not passed off as this model's
            stderr.WriteLine((q.CalibrationTable is { } table
                                 ? $"warning: calibration table {Path.GetFileName(table)} records that the INT8 model of the run that wrote it had a worst output SQNR against FP32 "
                                   + $"on its {q.ComparedSamples} calibration samples of {sqnr.ToString("0.0", CultureInfo.InvariantCulture)} dB "
                                 : $"warning: the INT8 model's worst output SQNR against FP32 on {q.ComparedSamples} calibration samples is {sqnr.ToString("0.0", CultureInfo.InvariantCulture)} dB ")
                             + $"(an error about {Math.Pow(10, -sqnr / 20) * 100:0} % of the signal): "
                             + (validating ? "give --max-accuracy-drop METRIC=VALUE with --validate" : "check it with --validate DIR --max-accuracy-drop METRIC=VALUE")
                             + ", which returns the most sensitive nodes to float until the budget holds"
                             + (MatMulOnly(quantized) ? "; a transformer's activations often quantize better at run time: --activations dynamic --smooth-quant auto" : ""));
    }

    /// <summary>
    /// MatMul/Gemm quantized and no Conv: a transformer, whose outlier channels and per-sentence ranges dynamic INT8 serves
    /// as well at a higher speed (held-out SQNR static/dynamic: all-MiniLM-L6-v2 14.7/15.7 dB, arctic_embed_xs 24.2/25.5,
    /// bert_mini 46.4/45.8; 2.16/2.54x, 2.23/2.52x, 2.11/2.41x at 1 thread).
    /// </summary>
    private static bool MatMulOnly(IReadOnlyDictionary<string, int> quantized) =>
        quantized.Keys.Any(k => k is "MatMul" or "Gemm") && !quantized.Keys.Any(k => k is "Conv" or "ConvTranspose");

    /// <summary>The chosen method's worst output SQNR on the calibration samples when it was measured and is low.</summary>
    private static double? LowSqnr(QuantizationReport q) =>
        q is { ComparedBy: "sqnr", ComparedOn: null, Method: { } method, ComparedMethods: { } values } && values.TryGetValue(method, out var sqnr) && sqnr < LowSqnrDb
            ? sqnr
            : null;
}
