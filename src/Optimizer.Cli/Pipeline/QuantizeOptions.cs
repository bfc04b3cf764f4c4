using Optimizer.Passes.Quantization;
using Optimizer.Runtime.Calibration;

namespace Optimizer.Cli.Pipeline;

/// <summary>What <c>--quantize int8</c> and its companions asked for, parsed once.</summary>
public sealed record QuantizeOptions
{
    /// <summary>Calibration data (<c>--calibrate DIR</c>): static Q/DQ; without it (and without a table), dynamic.</summary>
    public string? CalibrateDir { get; init; }

    /// <summary>Ranges a previous run wrote (<c>--calibration-table FILE</c>): static Q/DQ without calibrating again.</summary>
    public string? CalibrationTable { get; init; }

    public CalibrationMethod Method { get; init; } = QuantizeDefaults.MethodFor(QuantizationTarget.Cpu);

    /// <summary>
    /// <c>--calibration-method best</c> (the command line's default): the methods whose quantized models are compared
    /// on the calibration samples, the one closest to FP32 kept (<see cref="CalibrationMethodChoice"/>); null uses
    /// <see cref="Method"/> alone.
    /// </summary>
    public IReadOnlyList<CalibrationMethod>? CompareMethods { get; init; }

    /// <summary>Whether calibration compares methods (more than one in <see cref="CompareMethods"/>).</summary>
    public bool ComparesMethods => CompareMethods is { Count: > 1 };

    /// <summary>
    /// The accuracy budget's output gates (set by the budget loop): with them the compared models are judged by the
    /// budget's own metric (the first output gate's value), SQNR only breaking ties.
    /// </summary>
    public IReadOnlyList<Runtime.Validation.Gate> CompareBy { get; init; } = [];

    /// <summary>
    /// Where the compared models run: the budget's --validate data (its gates decide there, as they decide which nodes
    /// stay float), else null for the first calibration samples.
    /// </summary>
    public string? CompareOn { get; init; }

    public double Percentile { get; init; } = QuantizeDefaults.Percentile;

    public int? CalibrationSamples { get; init; }

    public QuantizationTarget Target { get; init; } = QuantizationTarget.Cpu;

    /// <summary>
    /// One weight scale per tensor (<c>--per-tensor</c>); null when not given: per output channel, except that dynamic
    /// quantization within an accuracy budget takes per-tensor weights when they hold it (<see cref="QuantizationBudget"/>).
    /// </summary>
    public bool? PerTensor { get; init; }

    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>SmoothQuant's migration strength α in [0, 1] (<c>--smooth-quant</c>); null leaves the activations as they are.</summary>
    public double? SmoothQuant { get; init; }

    /// <summary>
    /// <c>--smooth-quant auto</c> (dynamic activations): <see cref="SmoothQuant"/> is chosen by measurement
    /// (<see cref="SmoothQuantChoice"/>), which then clears this and records <see cref="SmoothQuantCompared"/>.
    /// </summary>
    public bool SmoothQuantAuto { get; init; }

    /// <summary>What <c>--smooth-quant auto</c> measured, when it ran.</summary>
    public MethodComparison? SmoothQuantCompared { get; init; }

    /// <summary>Cross-layer equalization before static INT8 (<c>--cross-layer-equalization</c>); auto measures it (<see cref="EqualizationChoice"/>).</summary>
    public Equalization Equalization { get; init; } = Equalization.Auto;

    /// <summary>Whether the model was equalized, on how many pairs, and what auto measured: set by <see cref="EqualizationChoice"/>.</summary>
    public EqualizationOutcome? Equalized { get; init; }

    /// <summary><c>--quantize fp16|bf16</c>: half precision instead of INT8; null for INT8.</summary>
    public HalfPrecisionOptions? Half { get; init; }

    /// <summary>Empirical bias correction of int8 Conv/Gemm on the calibration data (<c>--bias-correction</c>).</summary>
    public bool BiasCorrection { get; init; }

    /// <summary>Int8 weights chosen by GPTQ on the calibration data instead of rounded to nearest (<c>--weight-rounding gptq</c>).</summary>
    public bool Gptq { get; init; }

    /// <summary>
    /// <c>--activations dynamic</c> with <c>--calibrate DIR</c>: activations quantized at run time all the same, the
    /// data serving the weight-side remedy (<see cref="SmoothQuant"/>) only.
    /// </summary>
    public bool DynamicActivations { get; init; }

    public bool IsStatic => !DynamicActivations && (CalibrateDir is not null || CalibrationTable is not null);

    public string Mode => IsStatic ? "static" : "dynamic";

    public QuantizationSettings Settings(IReadOnlyDictionary<string, ValueRange>? ranges = null, IEnumerable<string>? keepFloat = null) => new()
    {
        Target = Target,
        PerTensorWeights = PerTensor == true,
        Exclude = Exclude.ToHashSet(StringComparer.Ordinal),
        KeepFloat = (keepFloat ?? []).ToHashSet(StringComparer.Ordinal),
        Ranges = ranges,
    };
}

/// <summary><c>--cross-layer-equalization</c>: measured (auto), always, or never.</summary>
public enum Equalization
{
    Auto,
    On,
    Off,
}

/// <summary>What cross-layer equalization did: applied or not, on how many Conv pairs, and the comparison behind an auto choice.</summary>
public sealed record EqualizationOutcome(bool Applied, int Pairs, MethodComparison? Compared, string Why);

/// <summary>The defaults of the quantization options, with the reasons the help text gives.</summary>
public static class QuantizeDefaults
{
    /// <summary>
    /// Min/max for the CPU target, the 99.99th percentile of |x| for TensorRT, by measurement (the help gives the
    /// figures): on pretrained models min/max kept as much accuracy or more on the CPU target, and clipping a
    /// transformer's outlier channels cost arctic_embed_xs most of its accuracy; for TensorRT's symmetric ranges the
    /// percentile kept the OCR detector's text mask better.
    /// </summary>
    public static CalibrationMethod MethodFor(QuantizationTarget target) =>
        target == QuantizationTarget.TensorRt ? CalibrationMethod.Percentile : CalibrationMethod.MinMax;

    public const double Percentile = 99.99;

    /// <summary>
    /// What <c>--calibration-method best</c> compares: min/max keeps a transformer's outlier channels, the percentile
    /// gives a CNN's long-tailed activations a finer grid; which matters more differs from model to model.
    /// </summary>
    public static readonly IReadOnlyList<CalibrationMethod> Compared = [CalibrationMethod.MinMax, CalibrationMethod.Percentile];

    /// <summary>Calibration samples each compared model runs on (the first ones).</summary>
    public const int ComparisonSamples = 32;
}
