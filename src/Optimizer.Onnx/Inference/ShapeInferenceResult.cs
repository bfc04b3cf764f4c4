using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference;

/// <summary>
/// What a run of <see cref="ShapeInference.Run"/> found. Beyond the types it wrote, it keeps the symbolic facts a
/// model cannot carry: shapes whose dims are expressions over opaque unknowns, and the elements of small integer
/// tensors (shapes being computed).
/// </summary>
public sealed class ShapeInferenceResult
{
    private readonly InferenceState _state;

    internal ShapeInferenceResult(InferenceState state) => _state = state;

    public IReadOnlyList<InferenceDiagnostic> Diagnostics => _state.Diagnostics;

    /// <summary>How many values got a new or more precise type.</summary>
    public int TypesWritten => _state.TypesWritten;

    /// <summary>
    /// The shape of <paramref name="value"/> when its rank is known. Each dim is a constant (<see cref="SymDim.ConstantValue"/>),
    /// an expression over named symbols, or an opaque unknown (<see cref="SymDim.IsOpaque"/>); equal dims compare equal.
    /// </summary>
    public bool TryGetShape(Value value, out IReadOnlyList<SymDim> shape)
    {
        shape = _state.Facts(value).Shape ?? [];
        return _state.Facts(value).Shape is not null;
    }

    /// <summary>
    /// The elements of a small integer tensor of rank 0 or 1 (flattened), such as a shape computed by
    /// Shape→Gather→Concat: each a constant, an expression over named symbols (the dims it was read from), or an
    /// opaque unknown. For a Reshape whose target is such a value, position i can become 0 when
    /// <c>target[i].Equals(inputShape[i])</c>.
    /// </summary>
    public bool TryGetSymbolicValue(Value value, out IReadOnlyList<SymDim> elements)
    {
        var data = _state.Facts(value).Data;
        elements = data ?? [];
        return data is not null;
    }

    /// <summary>The element type inference knows for <paramref name="value"/> (Undefined when unknown).</summary>
    public ElementType GetElementType(Value value) => _state.Facts(value).ElementType;
}
