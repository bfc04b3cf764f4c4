namespace Optimizer.Runtime.Validation;

/// <summary>Top-1 and top-5 agreement of an output with stored predictions (--against), one sample at a time.</summary>
public sealed class AgreementStats(string output)
{
    private long _rows, _top1, _overlap;

    public void Add(int[] stored, int[] current)
    {
        _rows++;
        if (stored.Length > 0 && current.Length > 0 && stored[0] == current[0]) _top1++;
        _overlap += TopClasses.Overlap(stored, current);
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
        Top5Agreement = _rows == 0 ? null : (double)_overlap / (_rows * OutputStats.TopK),
    };
}
