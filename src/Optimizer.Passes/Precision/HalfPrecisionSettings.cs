using Optimizer.Onnx.IR;
using Optimizer.Passes.Quantization;

namespace Optimizer.Passes.Precision;

/// <summary>What the half-precision conversion is asked to do. Built once by the caller; never changed.</summary>
public sealed record HalfPrecisionSettings
{
    /// <summary>float16 or bfloat16.</summary>
    public ElementType Target { get; init; } = ElementType.Float16;

    /// <summary>Whether the main graph's float32 inputs and outputs stay float32 (<c>--keep-io-types</c>, the default).</summary>
    public bool KeepIoTypes { get; init; } = true;

    /// <summary>Node names or op types kept in float32 (<c>--exclude</c>).</summary>
    public IReadOnlySet<string> Exclude { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Nodes kept in float32 by name (the accuracy budget's choice).</summary>
    public IReadOnlySet<string> KeepFloat { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Observed ranges of float values by name (with calibration data); null when no range check is made.</summary>
    public IReadOnlyDictionary<string, ValueRange>? Ranges { get; init; }

    /// <summary>
    /// Headroom kept below the target's largest finite value: a node whose observed output reaches
    /// <c>max / RangeHeadroom</c> stays float32, since the ops after it (an Add, a Mul) can still grow it past the range.
    /// </summary>
    public float RangeHeadroom { get; init; } = 4f;

    /// <summary>A reduction over more elements than this (or over an unknown count) stays float32 by default.</summary>
    public long MaxReducedElements { get; init; } = 4096;

    public bool IsExcluded(Node node) => Exclude.Contains(node.OpType) || (node.Name.Length > 0 && Exclude.Contains(node.Name));

    public bool IsKeptByBudget(Node node) => node.Name.Length > 0 && KeepFloat.Contains(node.Name);

    /// <summary>float16's largest finite value (bfloat16 has float32's range: no limit).</summary>
    public float? MaxFinite => Target == ElementType.Float16 ? (float)Half.MaxValue : null;
}
