using Optimizer.Onnx.IR;
using Optimizer.Passes.Precision;
using Optimizer.Passes.Quantization;

namespace Optimizer.Cli.Pipeline;

/// <summary><c>--quantize fp16|bf16</c>: what the half-precision step is asked to do (part of <see cref="QuantizeOptions"/>).</summary>
public sealed record HalfPrecisionOptions
{
    /// <summary>Float16 (fp16) or BFloat16 (bf16).</summary>
    public ElementType Target { get; init; } = ElementType.Float16;

    /// <summary>Whether the graph's float32 inputs and outputs stay float32 (<c>--keep-io-types</c>, on by default).</summary>
    public bool KeepIoTypes { get; init; } = true;

    /// <summary>The name <c>--quantize</c> takes for the target.</summary>
    public string Name => Target == ElementType.BFloat16 ? "bf16" : "fp16";

    public HalfPrecisionSettings Settings(QuantizeOptions q, IReadOnlyDictionary<string, ValueRange>? ranges = null, IEnumerable<string>? keepFloat = null) => new()
    {
        Target = Target,
        KeepIoTypes = KeepIoTypes,
        Exclude = q.Exclude.ToHashSet(StringComparer.Ordinal),
        KeepFloat = (keepFloat ?? []).ToHashSet(StringComparer.Ordinal),
        Ranges = ranges,
    };
}
