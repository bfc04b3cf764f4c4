using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Calibration;

/// <summary>How calibration statistics are collected and which range each tensor gets.</summary>
public sealed record CalibrationSettings
{
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>For <see cref="CalibrationMethod.Percentile"/>: the percentage of values kept inside the range (0..100].</summary>
    public double Percentile { get; init; } = 99.99;

    /// <summary>Stop after this many samples (<c>--calibration-samples</c>); null uses them all.</summary>
    public int? MaxSamples { get; init; }

    /// <summary>
    /// Histogram bins over <c>[0, amax]</c> for |x| (the histogram of x holds twice as many, one half per sign).
    /// At least 128, the number of levels the entropy search quantizes to.
    /// </summary>
    public int Bins { get; init; } = 2048;

    /// <summary>
    /// Percentile and entropy on |x| with a range <c>(-t, t)</c> (TensorRT's way) when true; otherwise the range
    /// follows the values' own minimum and maximum (see <see cref="CalibrationStatistics.Ranges"/>).
    /// </summary>
    public bool Symmetric { get; init; }

    /// <summary>
    /// Fill the histograms even for <see cref="CalibrationMethod.MinMax"/>, which reads only the minimum and maximum
    /// (so that other methods' ranges can be read from the same statistics). Off by default: histograms are the larger
    /// part of folding a sample.
    /// </summary>
    public bool KeepHistograms { get; init; }

    /// <summary>
    /// Other methods whose ranges will be read from the same statistics (a comparison of methods): what they need is
    /// kept too, a histogram for entropy and auto, the tails for a percentile.
    /// </summary>
    public IReadOnlyList<CalibrationMethod> AlsoRead { get; init; } = [];

    /// <summary>
    /// Samples run at once on the CPU, each by one ONNX Runtime thread (see <see cref="Sessions.OrderedSampleRuns{T}"/>); null: as
    /// many as the session's threads (all cores when it lets ONNX Runtime choose). 1 runs one sample at a time on the
    /// session's threads, folding beside it; other providers always do.
    /// </summary>
    public int? Workers { get; init; }

    /// <summary>
    /// With <see cref="Workers"/> null, several samples run at once only while their observed tensors (by shape inference
    /// on the first sample) stay within this many bytes together; 256 MiB.
    /// </summary>
    public long InFlightBytes { get; init; } = Sessions.SessionWorkers.InFlightBytes;

    /// <summary>Whether a histogram is kept: for entropy and auto, for a percentile too wide for tails, or when asked to.</summary>
    internal bool NeedsHistograms =>
        KeepHistograms || Reads.Any(m => m is CalibrationMethod.Entropy or CalibrationMethod.Auto) || (Reads.Contains(CalibrationMethod.Percentile) && TailShare is null);

    /// <summary>
    /// The share of values the tails keep, for a percentile read exactly (<see cref="TailValues"/>); null when no
    /// percentile is read or it cuts more than <see cref="TailValues.MaxShare"/> (the tails would cost more than a histogram).
    /// </summary>
    internal double? TailShare =>
        Reads.Contains(CalibrationMethod.Percentile) && PercentileThreshold.Share(Percentile, Symmetric) is var share && share <= TailValues.MaxShare ? share : null;

    private IEnumerable<CalibrationMethod> Reads => AlsoRead.Append(Method);

    /// <summary>
    /// The ONNX Runtime session that runs the model. ONNX Runtime's graph optimizations stay on: it keeps every
    /// requested graph output as it is, so the observed tensors are the model's own.
    /// </summary>
    public SessionSettings Session { get; init; } = SessionSettings.ForSpeed;
}
