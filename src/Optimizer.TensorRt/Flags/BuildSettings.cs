namespace Optimizer.TensorRt.Flags;

/// <summary>
/// The precision asked of the build. <see cref="Auto"/> takes it from the model (FP16 tensors, Q/DQ); the others
/// map to trtexec's weak-typing flags, which TensorRT 11 removed.
/// </summary>
public enum EnginePrecision { Auto, Fp16, Bf16, Int8, Best }

/// <summary>What the user asked of an engine build (the command line parses into this).</summary>
public sealed record BuildSettings
{
    public EnginePrecision Precision { get; init; } = EnginePrecision.Auto;
    public ShapeRequest Shapes { get; init; } = new();
    public int Device { get; init; }
    public int? WorkspaceMiB { get; init; }
    public int? OptimizationLevel { get; init; }
    public int? Iterations { get; init; }
    public double? DurationSeconds { get; init; }
    public int? WarmUpMs { get; init; }
    public bool SkipInference { get; init; }
    /// <summary>Extra trtexec options passed through as given (each <c>--flag</c> or <c>--flag=value</c>).</summary>
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];
}

/// <summary>The files a build reads and writes.</summary>
public sealed record BuildPaths(string Onnx, string SaveEngine, string LayerInfo, string Times, string TimingCache, string? CalibrationCache);
