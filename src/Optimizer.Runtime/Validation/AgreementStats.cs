namespace Optimizer.Runtime.Validation;

/// <summary>Top-1 and top-5 agreement of an output with stored predictions (--against), one sample at a time.</summary>
public sealed class AgreementStats(string output)
{
    private long _rows, _top1, _overlap, _slots;
    private int _topK = OutputStats.TopK;

    /// <summary>Both top-k lists of one row: k = min(5, classes), so a list shorter than five is the whole of a smaller output.</summary>
    public void Add(int[] stored, int[] current)
    {
        _rows++;
        if (stored.Length > 0 && current.Length > 0 && stored[0] == current[0]) _top1++;
        _overlap += TopClasses.Overlap(stored, current);
        _topK = Math.Clamp(Math.Max(stored.Length, current.Length), 1, OutputStats.TopK);
        _slots += _topK;
    }

    public OutputMetrics Metrics() => new()
    {
        Name = output,
        Samples = _rows,
        MaxAbsError = double.NaN,
        MeanAbsError = double.NaN,
        RelativeL2Error = double.NaN,
        CosineSimilarity = double.NaN,
        MinCosineSimilarity = double.NaN,
        SqnrDb = double.NaN,
        Top1Agreement = _rows == 0 ? null : (double)_top1 / _rows,
        Top5Agreement = _rows == 0 ? null : (double)_overlap / _slots,
        TopK = _rows > 0 && _topK < OutputStats.TopK ? _topK : null,
    };
}
