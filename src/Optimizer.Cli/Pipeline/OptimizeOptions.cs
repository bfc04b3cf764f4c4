namespace Optimizer.Cli.Pipeline;

/// <summary>What <c>optimize MODEL ...</c> was asked to do, parsed once from the command line.</summary>
public sealed record OptimizeOptions
{
    public required string ModelPath { get; init; }

    /// <summary>The output folder; default: the model's folder/&lt;stem&gt;.opt/.</summary>
    public required string OutDir { get; init; }

    /// <summary>Exactly these passes, in this order; empty means none (read and write only); null means the default pipeline.</summary>
    public IReadOnlyList<string>? Passes { get; init; }

    /// <summary>Skip the default fusion, folding and cleanup passes (<c>--no-fuse</c>).</summary>
    public bool NoFuse { get; init; }

    /// <summary>Print why each fusion that matched declined (<c>--explain</c>).</summary>
    public bool Explain { get; init; }

    /// <summary>Run the model verifier after every pass (<c>--verify</c>).</summary>
    public bool Verify { get; init; }

    /// <summary>Upgrade the model to this ONNX opset first (<c>--opset N</c>).</summary>
    public long? Opset { get; init; }

    /// <summary>Fixed input dimensions, as given (<c>--shapes name:1x3x224x224,...</c>).</summary>
    public string? Shapes { get; init; }

    public bool Json { get; init; }

    /// <summary><c>--quantize int8</c> and its options; null when not asked.</summary>
    public QuantizeOptions? Quantize { get; init; }

    /// <summary><c>--prune</c> and its options; null when not asked.</summary>
    public PruneOptions? Prune { get; init; }

    /// <summary><c>--emit triton REPO</c> and its options; null when not asked.</summary>
    public Triton.TritonOptions? Triton { get; init; }

    /// <summary>The execution provider of the runs the pipeline makes (<c>--provider</c>): --validate and calibration.</summary>
    public Runtime.Sessions.ExecutionProvider Provider { get; init; } = Runtime.Sessions.ExecutionProvider.Cpu;

    /// <summary><c>--device</c> and <c>--provider-option</c>: the GPU device and ONNX Runtime's options of <see cref="Provider"/>.</summary>
    public int DeviceId { get; init; }
    public IReadOnlyDictionary<string, string> ProviderOptions { get; init; } = new Dictionary<string, string>();

    /// <summary><c>--threads N</c>: intra-op threads of every session the pipeline creates; 0 leaves ONNX Runtime's choice.</summary>
    public int Threads { get; init; }

    /// <summary>Sessions that compare accuracy: ONNX Runtime's optimizations off, on <see cref="Provider"/>.</summary>
    public Runtime.Sessions.SessionSettings ComparisonSession => Runtime.Sessions.SessionSettings.ForComparison with { Provider = Provider, DeviceId = DeviceId, ProviderOptions = ProviderOptions, Threads = Threads };

    /// <summary>Sessions that time or calibrate: ONNX Runtime's optimizations on, on <see cref="Provider"/>.</summary>
    public Runtime.Sessions.SessionSettings SpeedSession => Runtime.Sessions.SessionSettings.ForSpeed with { Provider = Provider, DeviceId = DeviceId, ProviderOptions = ProviderOptions, Threads = Threads };

    /// <summary><c>--cache DIR</c>: step results keyed by their inputs; null without one. Not an option of the result.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Caching.StepCache? Cache { get; init; }

    public static string DefaultOutDir(string modelPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + ".opt");
}
