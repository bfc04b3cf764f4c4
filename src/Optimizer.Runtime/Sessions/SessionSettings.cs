using Microsoft.ML.OnnxRuntime;

namespace Optimizer.Runtime.Sessions;

/// <summary>
/// How ONNX Runtime sessions are made. <see cref="ForComparison"/> turns ONNX Runtime's own graph optimizations off,
/// so that a comparison of two models measures the models and not what ONNX Runtime fused differently in each.
/// </summary>
public sealed record SessionSettings
{
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;
    /// <summary>Intra-op threads; 0 lets ONNX Runtime choose.</summary>
    public int Threads { get; init; }
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;
    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin between ops waiting for work (its default). Off when other work
    /// shares the cores with the session, as calibration's folding does: spinning threads take the cores from it.
    /// </summary>
    public bool Spinning { get; init; } = true;
    /// <summary>GPU device id for the CUDA and TensorRT providers.</summary>
    public int DeviceId { get; init; }
    /// <summary>
    /// ONNX Runtime's options of the CUDA and TensorRT providers, by its own key names (see <see cref="ProviderOptionCatalog"/>),
    /// checked, in the form ONNX Runtime reads; the ones not given keep ONNX Runtime's defaults.
    /// </summary>
    public IReadOnlyDictionary<string, string> ProviderOptions { get; init; } = new Dictionary<string, string>();
    /// <summary>When set, ONNX Runtime's profiler is on and writes its trace to a file named from this path prefix.</summary>
    public string? ProfilePrefix { get; init; }

    /// <summary>The optimization level as reports name it: disabled, basic, extended or all.</summary>
    public string OptimizationName => OptimizationLevel switch
    {
        GraphOptimizationLevel.ORT_DISABLE_ALL => "disabled",
        GraphOptimizationLevel.ORT_ENABLE_BASIC => "basic",
        GraphOptimizationLevel.ORT_ENABLE_EXTENDED => "extended",
        _ => "all",
    };

    /// <summary>These settings on the provider of <paramref name="other"/>: its provider, device and provider options.</summary>
    public SessionSettings WithProviderOf(SessionSettings other) =>
        this with { Provider = other.Provider, DeviceId = other.DeviceId, ProviderOptions = other.ProviderOptions };

    /// <summary>Defaults for speed measurements: every ONNX Runtime optimization on, as a deployment would run.</summary>
    public static SessionSettings ForSpeed { get; } = new();

    /// <summary>Defaults for accuracy comparisons: ONNX Runtime optimizations off.</summary>
    public static SessionSettings ForComparison { get; } = new() { OptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
}
