using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference;

/// <summary>
/// Combines what a rule inferred about a value with the type the model states for it. The stated type is replaced
/// only where the inferred one is strictly more precise (a known rank, a static dim for an unknown or symbolic one,
/// a symbolic dim for an unknown one) and consistent with it; a contradiction keeps the stated type and is reported.
/// </summary>
internal static class TypeMerge
{
    public sealed record Outcome(ValueFacts Facts, TypeInfo? Written, string? Conflict);

    public static SymDim? FromDim(Dim d) => d.Value is { } v ? SymDim.Const(v) : d.Param is { } p ? SymDim.Symbol(p) : null;

    public static Outcome Merge(InferenceState state, Value value, OutputFacts inferred)
    {
        if (inferred.OtherType is { } other)
            return new Outcome(ValueFacts.Nothing with { OtherType = other }, value.Type is null or UnspecifiedTypeInfo ? other : value.Type, null);
        var stated = value.Type as TensorTypeInfo;
        if (value.Type is not null and not TensorTypeInfo and not UnspecifiedTypeInfo)
            return Keep(state, value, $"'{value.Name}' is stated as {value.Type}, inferred a tensor");

        var elementType = inferred.ElementType;
        if (stated is not null && stated.ElementType != ElementType.Undefined)
        {
            if (elementType != ElementType.Undefined && elementType != stated.ElementType)
                return Keep(state, value, $"'{value.Name}' is stated as {stated.ElementType.ShortName()}, inferred {elementType.ShortName()}");
            elementType = stated.ElementType;
        }

        var statedDims = stated?.Shape?.Dims;
        var inferredDims = inferred.Shape;
        if (statedDims is not null && inferredDims is not null && statedDims.Count != inferredDims.Length)
            return Keep(state, value, $"'{value.Name}' is stated with rank {statedDims.Count}, inferred rank {inferredDims.Length}");

        SymDim[]? shape = null;
        Dim[]? written = null;
        var rank = inferredDims?.Length ?? statedDims?.Count;
        if (rank is { } r)
        {
            shape = new SymDim[r];
            written = new Dim[r];
            for (var i = 0; i < r; i++)
            {
                var s = statedDims?[i] ?? Dim.Unknown;
                var d = inferredDims?[i];
                if (s.Value is { } sv && d?.ConstantValue is { } dv && sv != dv)
                    return Keep(state, value, $"'{value.Name}' dim {i} is stated as {sv}, inferred {dv}");
                (shape[i], written[i]) = MergeDim(s, d) ?? (state.OpaqueDim(value, i), s);
            }
        }

        var data = inferred.Data?.Select((e, i) => e ?? state.OpaqueElement(value, i)).ToArray();
        var facts = new ValueFacts(elementType, shape, data);
        if (elementType == ElementType.Undefined) return new Outcome(facts, value.Type, null);
        var type = stated is null
            ? new TensorTypeInfo(elementType, written is null ? null : new Shape(written))
            : stated with { ElementType = elementType, Shape = written is null ? null : new Shape(written) };
        return new Outcome(facts, type, null);
    }

    /// <summary>The dim to use in this run and the dim to write; null when neither side knows anything.</summary>
    private static (SymDim, Dim)? MergeDim(Dim stated, SymDim? inferred)
    {
        var denotation = stated.Denotation;
        if (stated.Value is not null) return (SymDim.Const(stated.Value.Value), stated);
        if (inferred is not null && inferred.IsConstant) return (inferred, inferred.ToDim() with { Denotation = denotation });
        // Two names for one dim are equally precise: the model's stays written, the expression serves this run.
        if (stated.Param is not null) return (inferred is { IsOpaque: false } ? inferred : SymDim.Symbol(stated.Param), stated);
        if (inferred is null) return null;
        return (inferred, inferred.ToDim() with { Denotation = denotation });
    }

    private static Outcome Keep(InferenceState state, Value value, string conflict)
    {
        state.ForgetStated(value);
        return new Outcome(state.Facts(value), value.Type, conflict);
    }
}
