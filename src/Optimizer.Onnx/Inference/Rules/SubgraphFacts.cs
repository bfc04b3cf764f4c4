using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Moving facts across a subgraph boundary: from outer inputs to body inputs, from body outputs to node outputs.</summary>
internal static class SubgraphFacts
{
    /// <summary>The facts as a rule's output; <paramref name="withData"/> false for a value that changes (a loop-carried one).</summary>
    public static OutputFacts From(ValueFacts facts, bool withData = true) => new()
    {
        ElementType = facts.ElementType,
        Shape = facts.Shape?.Select(d => (SymDim?)d).ToArray(),
        Data = withData ? facts.Data?.Select(d => (SymDim?)d).ToArray() : null,
        OtherType = facts.OtherType,
    };

    /// <summary>What holds for a value that is one of two: equal dims and elements stay, others become unknown.</summary>
    public static OutputFacts Merge(ValueFacts a, ValueFacts b) => new()
    {
        ElementType = a.ElementType == b.ElementType ? a.ElementType : ElementType.Undefined,
        Shape = a.Shape is null || b.Shape is null || a.Shape.Length != b.Shape.Length ? null : a.Shape.Zip(b.Shape, Same).ToArray(),
        Data = a.Data is null || b.Data is null || a.Data.Length != b.Data.Length ? null : a.Data.Zip(b.Data, Same).ToArray(),
        OtherType = Equals(a.OtherType, b.OtherType) ? a.OtherType : null,
    };

    /// <summary>Sets node output <paramref name="index"/> from facts.</summary>
    public static void SetOutput(NodeContext c, int index, OutputFacts facts)
    {
        if (facts.OtherType is { } other)
        {
            c.SetOutputType(index, other);
            return;
        }
        if (facts.ElementType == ElementType.Undefined && facts.Shape is null) return;
        c.SetOutput(index, facts.ElementType, facts.Shape);
        if (facts.Data is { } data) c.SetOutputValue(index, data);
    }

    /// <summary>Whether <paramref name="next"/> says no more than <paramref name="bound"/> (same rank, the same dims).</summary>
    public static bool Settled(ValueFacts bound, ValueFacts next) =>
        bound.Shape is null || next.Shape is not null && bound.Shape.Length == next.Shape.Length && bound.Shape.SequenceEqual(next.Shape);

    private static SymDim? Same(SymDim x, SymDim y) => x.Equals(y) ? x : null;
}
