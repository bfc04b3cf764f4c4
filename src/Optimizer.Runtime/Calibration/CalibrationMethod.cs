namespace Optimizer.Runtime.Calibration;

/// <summary>How the range of a tensor is chosen from the statistics collected over the calibration samples.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen.</summary>
    MinMax,
    /// <summary>The value below which a given percentage of the values lies (outliers beyond it are clipped).</summary>
    Percentile,
    /// <summary>TensorRT's EntropyCalibration2: the threshold whose 128-level quantization loses the least information (KL divergence).</summary>
    Entropy,
    /// <summary>
    /// Per tensor, whichever of MinMax, Percentile and Entropy gives the smallest expected quantization error
    /// (<see cref="QuantizationError"/>) on that tensor's histogram, for the target's quantization grid.
    /// </summary>
    Auto,
}
