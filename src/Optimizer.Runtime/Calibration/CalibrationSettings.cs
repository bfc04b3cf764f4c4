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
    /// The ONNX Runtime session that runs the model. ONNX Runtime's graph optimizations stay on: it keeps every
    /// requested graph output as it is, so the observed tensors are the model's own.
    /// </summary>
    public SessionSettings Session { get; init; } = SessionSettings.ForSpeed;
}
