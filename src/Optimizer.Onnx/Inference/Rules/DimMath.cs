namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Small helpers over dims shared by the rules.</summary>
internal static class DimMath
{
    /// <summary>The product of the dims, or null when one is unknown.</summary>
    public static SymDim? Product(IEnumerable<SymDim?> dims)
    {
        SymDim? p = SymDim.One;
        foreach (var d in dims) p *= d;
        return p;
    }

    /// <summary>
    /// One dim from two that the operator requires to be equal (Concat's other axes, an If's branches agree): a
    /// static one wins over a symbolic one; two different static sizes are an error.
    /// </summary>
    public static SymDim? Unify(SymDim? a, SymDim? b, string what)
    {
        if (a is null) return b;
        if (b is null || a.Equals(b)) return a;
        if (a.IsConstant && b.IsConstant) throw new InferenceException($"{what}: {a} vs {b}");
        if (a.IsConstant) return a;
        if (b.IsConstant) return b;
        return a.IsOpaque ? b : a;
    }

    /// <summary>Fails when two dims that must be equal are both static and differ.</summary>
    public static void RequireEqual(SymDim? a, SymDim? b, string what)
    {
        if (a?.ConstantValue is { } x && b?.ConstantValue is { } y && x != y) throw new InferenceException($"{what}: {x} vs {y}");
    }

    /// <summary>A computed element used as a dim: unknown when it may be negative (an unknown element of a computed tensor).</summary>
    public static SymDim? AsSize(SymDim? element) => element is { IsSize: true } && element.ConstantValue is null or >= 0 ? element : null;

    /// <summary>The shape with null (unknown) dims allowed, as rules build outputs.</summary>
    public static SymDim?[] Open(IReadOnlyList<SymDim> shape) => shape.Select(d => (SymDim?)d).ToArray();

    /// <summary>The elements a rule can read as integers: an attribute before <paramref name="inputSince"/>, input <paramref name="input"/> after.</summary>
    public static long[]? IntsByOpset(NodeContext c, string attribute, int input, long inputSince) =>
        c.Opset >= inputSince ? c.InputInts(input) : c.Ints(attribute);
}
