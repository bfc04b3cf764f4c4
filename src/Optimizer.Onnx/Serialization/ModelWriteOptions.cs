namespace Optimizer.Onnx.Serialization;

/// <summary>Where tensor data goes when a model is written.</summary>
public enum ExternalDataMode
{
    /// <summary>Inline, unless the model would pass protobuf's 2 GiB limit; then large tensors go to a data file.</summary>
    Auto,

    /// <summary>Tensors of at least <see cref="ModelWriteOptions.ExternalThresholdBytes"/> always go to a data file.</summary>
    Always,

    /// <summary>Everything inline; a model over the limit is refused.</summary>
    Never,
}

public sealed record ModelWriteOptions
{
    public static ModelWriteOptions Default { get; } = new();

    public ExternalDataMode ExternalData { get; init; } = ExternalDataMode.Auto;

    /// <summary>Tensors this large or larger go to the data file (ONNX's own tools use 1 KiB).</summary>
    public long ExternalThresholdBytes { get; init; } = 1024;

    /// <summary>The data file's name, next to the model; default: the model file's name plus ".data".</summary>
    public string? ExternalFileName { get; init; }

    /// <summary>Above this inline size Auto moves data out (protobuf's hard limit is 2 GiB; leave room for the graph).</summary>
    public long AutoExternalAboveBytes { get; init; } = 1_800L * 1024 * 1024;
}
