using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Pipeline;

/// <summary>
/// How a candidate model did against FP32 when the tool chooses between candidates by measurement (the calibration
/// method, SmoothQuant's alpha): the first gate's value that an output carries, oriented so that higher is better, then
/// its worst output SQNR; without such a gate, the SQNR alone.
/// </summary>
public sealed record CandidateScore(double Oriented, double GateValue, Gate? Gate, double Sqnr) : IComparable<CandidateScore>
{
    public static readonly CandidateScore Unrunnable = new(double.NegativeInfinity, double.NaN, null, double.NegativeInfinity);

    public int CompareTo(CandidateScore? other) =>
        other is null ? 1 : Oriented != other.Oriented ? Oriented.CompareTo(other.Oriented) : Sqnr.CompareTo(other.Sqnr);

    public static CandidateScore Judge(IReadOnlyList<OutputMetrics> metrics, IReadOnlyList<Gate> gates)
    {
        var sqnr = ReferenceOutputs.WorstSqnr(metrics);
        foreach (var gate in gates)
        {
            // a gate no output carries here (top-1 on a non-classifier) decides nothing; validation will say so
            double value;
            try { value = GateEvaluator.Worst(gate, metrics).Value; }
            catch (Onnx.Errors.InvalidInputException) { continue; }
            return new CandidateScore(gate.HigherIsBetter ? value : -value, value, gate, sqnr);
        }
        return new CandidateScore(0, double.NaN, null, sqnr);
    }

    /// <summary>The value that decided, as printed: the gate's value, or the SQNR in dB.</summary>
    public static string Show(double value, Gate? by) =>
        by is null ? Db(value) : double.IsNaN(value) ? "not run" : value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);

    public static string Db(double sqnr) => double.IsFinite(sqnr) ? $"{sqnr:0.0} dB" : sqnr > 0 ? "exact" : "not run";
}
