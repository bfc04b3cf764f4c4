namespace Optimizer.Runtime.Calibration;

/// <summary>
/// What <see cref="Calibrator.Collect"/> gathered: per observed tensor, its running minimum, maximum, count and
/// histogram (<see cref="TensorStatistics"/>), in the order the tensors were asked for. Any method's ranges can be
/// read from the same statistics without running the model again.
/// </summary>
public sealed class CalibrationStatistics
{
    public CalibrationStatistics(int sampleCount, IReadOnlyList<TensorStatistics> tensors)
    {
        SampleCount = sampleCount;
        var byName = new Dictionary<string, TensorStatistics>(StringComparer.Ordinal);
        foreach (var t in tensors) byName.Add(t.Name, t);
        Tensors = byName;
        Order = tensors;
    }

    public int SampleCount { get; }

    /// <summary>How long collecting took (session creation, runs and folding); zero when not measured.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>
    /// The part of <see cref="Elapsed"/> spent waiting for the next sample to be read (data reading that the runs
    /// did not hide, such as image decoding); zero when not measured.
    /// </summary>
    public TimeSpan DataWait { get; init; }

    /// <summary>Samples that ran at once (1: one at a time on all the session's threads).</summary>
    public int Workers { get; init; } = 1;

    public IReadOnlyDictionary<string, TensorStatistics> Tensors { get; }

    /// <summary>The tensors in the order they were asked for.</summary>
    public IReadOnlyList<TensorStatistics> Order { get; }

    /// <summary>
    /// The range of every tensor by <paramref name="method"/> (see <see cref="RangeChoice"/>), in the order the tensors
    /// were asked for. Histogram methods work on the tensors in parallel.
    /// </summary>
    public IReadOnlyDictionary<string, TensorRange> Ranges(CalibrationMethod method, double percentile = 99.99, bool symmetric = false) =>
        RangesWithMethods(method, percentile, symmetric).ToDictionary(kv => kv.Key, kv => kv.Value.Range, StringComparer.Ordinal);

    /// <summary>As <see cref="Ranges(CalibrationMethod, double, bool)"/>, with the method that gave each range (for Auto, the one chosen).</summary>
    public IReadOnlyDictionary<string, (TensorRange Range, CalibrationMethod Method)> RangesWithMethods(CalibrationMethod method, double percentile = 99.99, bool symmetric = false)
    {
        RangeChoice.CheckPercentile(percentile);
        if (Order.FirstOrDefault(t => !t.CanRead(method, percentile, symmetric)) is { } bare)
            throw new InvalidOperationException($"'{bare.Name}' was collected without what {method} reads (a histogram, or tails for this percentile; CalibrationSettings.AlsoRead)");
        var ranges = new (TensorRange, CalibrationMethod)[Order.Count];
        if (method == CalibrationMethod.MinMax)
            for (var i = 0; i < ranges.Length; i++) ranges[i] = RangeChoice.ChooseWithMethod(Order[i], method, percentile, symmetric);
        else
            Parallel.For(0, ranges.Length, i => ranges[i] = RangeChoice.ChooseWithMethod(Order[i], method, percentile, symmetric));
        // an insertion-ordered dictionary: the tensors in the order they were asked for
        var result = new Dictionary<string, (TensorRange, CalibrationMethod)>(StringComparer.Ordinal);
        foreach (var r in ranges) result.Add(r.Item1.Name, r);
        return result;
    }

    /// <summary>The ranges by the method, percentile and symmetry of <paramref name="settings"/>.</summary>
    public IReadOnlyDictionary<string, TensorRange> Ranges(CalibrationSettings settings) =>
        Ranges(settings.Method, settings.Percentile, settings.Symmetric);
}
