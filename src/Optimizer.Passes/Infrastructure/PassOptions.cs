namespace Optimizer.Passes.Infrastructure;

/// <summary>Settings the passes read. Built once by the caller (the command line, a test) and never changed.</summary>
public sealed record PassOptions
{
    /// <summary>Upgrade the model to this ONNX opset before the other passes (null: keep the model's opset).</summary>
    public long? TargetOpset { get; init; }

    /// <summary>Fixed sizes for symbolic or unknown input dimensions, by input name (from <c>--shapes</c>).</summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>Constant folding declines when a result is larger than this and larger than its inputs together.</summary>
    public long FoldSizeLimitBytes { get; init; } = 1 << 20;

    /// <summary>
    /// Constant folding declines a result larger than this and than its inputs together when no pass needs it as a
    /// constant (it is only joined to run-time data by Concat). 1 KiB, as onnxsim's --no-large-tensor.
    /// </summary>
    public long UnneededFoldLimitBytes { get; init; } = 1 << 10;

    /// <summary>Run the model verifier after every pass (always on in tests; <c>--verify</c> on the command line).</summary>
    public bool Verify { get; init; }

    /// <summary>How many times a fixed-point pass may repeat before the runner stops it.</summary>
    public int MaxIterations { get; init; } = 8;
}
