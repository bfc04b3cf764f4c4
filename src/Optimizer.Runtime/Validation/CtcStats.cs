namespace Optimizer.Runtime.Validation;

/// <summary>
/// Running CTC comparison of one [N, T, C] output for one blank class: each of the N rows of every sample is decoded
/// greedily in both models; counts the rows read the same, and the edit distance of the candidate's reading from the
/// baseline's over the baseline's length (the token error rate), and the time steps whose arg-max class is the same
/// (a finer figure than whole readings, for ranking which layer moves them).
/// </summary>
public sealed class CtcStats(int blank)
{
    private long _rows, _same, _edits, _baselineTokens, _steps, _sameSteps;

    public int Blank { get; } = blank;

    /// <summary>One row's arg-max classes per step, baseline and candidate, with the output's class count.</summary>
    public void Add(ReadOnlySpan<int> baseline, ReadOnlySpan<int> candidate, int classes, string output)
    {
        var blank = CtcGate.Resolve(Blank, classes, output);
        var (a, b) = (CtcDecoding.Greedy(baseline, blank), CtcDecoding.Greedy(candidate, blank));
        var edits = CtcDecoding.EditDistance(a, b);
        _rows++;
        if (edits == 0) _same++;
        _steps += baseline.Length;
        for (var t = 0; t < baseline.Length; t++)
            if (baseline[t] == candidate[t]) _sameSteps++;
        _edits += edits;
        _baselineTokens += a.Count;
    }

    public CtcAgreement? Metrics() => _rows == 0 ? null : new CtcAgreement(
        Blank, _rows, (double)_same / _rows,
        _baselineTokens == 0 ? (_edits == 0 ? 0 : double.PositiveInfinity) : (double)_edits / _baselineTokens)
    {
        StepAgreement = _steps == 0 ? 1 : (double)_sameSteps / _steps,
    };
}
