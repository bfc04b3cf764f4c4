using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// The choices the tool makes by measurement (the calibration method, SmoothQuant's alpha): each candidate model runs
/// as deployed beside FP32 outputs computed once on the first samples (the calibration data, or within a budget its
/// --validate data) and is judged by <see cref="CandidateScore"/>; the first listed wins a tie.
/// </summary>
public sealed class CandidateComparison
{
    private readonly ReferenceOutputs _reference;
    private readonly IReadOnlyList<Gate> _gates;
    private readonly string? _on;
    private readonly OptimizeOptions _options;
    private readonly CancellationToken _cancel;
    private readonly System.Diagnostics.Stopwatch _clock;
    private readonly List<(string Name, CandidateScore Score)> _judged = [];

    private CandidateComparison(ReferenceOutputs reference, IReadOnlyList<Gate> gates, string? on, OptimizeOptions options, CancellationToken cancel,
        System.Diagnostics.Stopwatch clock) =>
        (_reference, _gates, _on, _options, _cancel, _clock) = (reference, gates, on, options, cancel, clock);

    /// <summary>
    /// The FP32 outputs of <paramref name="fp32"/> on samples spread over <paramref name="q"/>'s CompareOn folder, else
    /// <paramref name="calibration"/>; null when the model has no float output to compare.
    /// </summary>
    public static CandidateComparison? Start(byte[] fp32, string calibration, IReadOnlyList<Gate> gates, QuantizeOptions q, OptimizeOptions options,
        CancellationToken cancel)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var data = InputData.Open(q.CompareOn ?? calibration, options);
        var reference = ReferenceOutputs.Compute(fp32, data.ReadSpread(QuantizeDefaults.ComparisonSamples, q.CompareOn is null ? q.CalibrationSamples : null), options.SpeedSession, cancel);
        return reference.OutputCount == 0 ? null : new CandidateComparison(reference, gates, q.CompareOn, options, cancel, clock);
    }

    /// <summary>The candidates judged so far, in the order added.</summary>
    public IReadOnlyList<(string Name, CandidateScore Score)> Judged => _judged;

    /// <summary>
    /// Runs <paramref name="candidate"/> beside the FP32 outputs and judges it. A form ONNX Runtime cannot run here (one
    /// laid out for TensorRT, say) is not a reason to fail the run: it loses the comparison, with a warning naming it
    /// (<paramref name="described"/>: "the minmax model").
    /// </summary>
    public CandidateScore Add(string name, string described, Model candidate, TextWriter stderr)
    {
        CandidateScore score;
        try
        {
            var metrics = _reference.Compare(ModelWriter.ToBytes(candidate), "quantized model", _options.SpeedSession, Gate.MaskThresholds(_gates),
                Gate.CtcBlanks(_gates), _cancel);
            score = CandidateScore.Judge(metrics, _gates);
        }
        catch (Onnx.Errors.InvalidInputException e)
        {
            stderr.WriteLine($"warning: {described} could not be compared in ONNX Runtime ({e.Message})");
            score = CandidateScore.Unrunnable;
        }
        _judged.Add((name, score));
        return score;
    }

    /// <summary>The index of the best candidate judged; the first listed wins a tie.</summary>
    public int Best() => Enumerable.Range(0, _judged.Count).Aggregate((a, b) => _judged[b].Score.CompareTo(_judged[a].Score) > 0 ? b : a);

    /// <summary>
    /// Says on stderr what was chosen and every candidate's figure (<c>calibration method: minmax (worst output SQNR
    /// against FP32 on 32 calibration samples: …; compared in 1.23 s)</c>) and returns the record the report keeps.
    /// </summary>
    public MethodComparison Report(string choice, int chosen, TextWriter stderr)
    {
        var by = _judged.Select(j => j.Score.Gate).FirstOrDefault(g => g is not null);
        var values = _judged.ToDictionary(j => j.Name, j => by is null ? j.Score.Sqnr : j.Score.GateValue, StringComparer.Ordinal);
        var where = _on is null ? "calibration samples" : $"samples of {_on}";
        stderr.WriteLine($"{choice}: {_judged[chosen].Name} ({(by is null ? "worst output SQNR" : by.Name)} against FP32 on {_reference.Count} {where}: "
                         + string.Join(", ", values.Select(v => $"{v.Key} {CandidateScore.Show(v.Value, by)}")) + $"; compared in {_clock.Elapsed.TotalSeconds:0.00} s)");
        return new MethodComparison(values, by?.Name ?? "sqnr", _on, _reference.Count);
    }
}
