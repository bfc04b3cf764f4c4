using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference;

/// <summary>
/// What inference knows about one value: its element type, its shape (null when the rank is unknown), and for a
/// small integer tensor of rank 0 or 1 its elements (<see cref="Data"/>, flattened). An unknown dimension or element
/// is an opaque <see cref="SymDim"/> tied to this value, so equal unknowns still compare equal.
/// A value that is not a tensor (a sequence, an optional) has <see cref="OtherType"/> instead.
/// </summary>
internal sealed record ValueFacts(ElementType ElementType, SymDim[]? Shape, SymDim[]? Data = null, TypeInfo? OtherType = null)
{
    public static ValueFacts Nothing { get; } = new(ElementType.Undefined, null);

    public int? Rank => Shape?.Length;
}

/// <summary>What a rule says about one output; null dims and elements are unknown.</summary>
internal sealed class OutputFacts
{
    public ElementType ElementType { get; set; }

    /// <summary>Whether the rank is known (the shape set); dims may still be null.</summary>
    public SymDim?[]? Shape { get; set; }

    public SymDim?[]? Data { get; set; }

    /// <summary>A non-tensor type (sequence, optional), written as it is.</summary>
    public TypeInfo? OtherType { get; set; }
}
