using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Operators that make or read shapes: Shape, Size, Constant, ConstantOfShape, Range, NonZero, EyeLike.</summary>
internal static class ShapeOpsRules
{
    /// <summary>Shape (with start/end since opset 15): an int64 vector whose elements are the input's dims.</summary>
    public static void Shape(NodeContext c)
    {
        var shape = c.InputShape(0);
        if (shape is null)
        {
            c.SetOutput(0, ElementType.Int64, [null]);
            return;
        }
        var rank = shape.Length;
        long Clamp(long v) => Math.Clamp(v < 0 ? v + rank : v, 0, rank);
        var start = (int)Clamp(c.Opset >= 15 ? c.Int("start", 0) : 0);
        var end = (int)Clamp(c.Opset >= 15 ? c.Int("end", rank) : rank);
        var dims = shape.Skip(start).Take(Math.Max(0, end - start)).ToArray();
        c.SetOutput(0, ElementType.Int64, [SymDim.Const(dims.Length)]);
        c.SetOutputValue(0, dims);
    }

    /// <summary>Size: an int64 scalar, the product of the dims.</summary>
    public static void Size(NodeContext c)
    {
        c.SetOutput(0, ElementType.Int64, []);
        if (c.InputShape(0) is { } shape) c.SetOutputValue(0, [DimMath.Product(shape)]);
    }

    public static void Constant(NodeContext c)
    {
        var tensor = ConstantNodes.GetValue(c.Node);
        if (tensor is null) return; // sparse_value: left to what the model states
        c.SetOutput(0, tensor.ElementType, tensor.Dims.Select(d => (SymDim?)SymDim.Const(d)).ToArray());
        c.SetOutputValue(0, c.State.ConstantData(tensor));
    }

    /// <summary>ConstantOfShape: the dims are the input's elements; the type that of <c>value</c> (float by default).</summary>
    public static void ConstantOfShape(NodeContext c)
    {
        var value = c.Node.GetTensor("value");
        var type = value?.ElementType ?? ElementType.Float;
        var dims = c.InputValue(0);
        if (dims is null)
        {
            c.SetOutput(0, type, c.InputShape(0) is [{ ConstantValue: { } n }] ? new SymDim?[n] : null);
            return;
        }
        var shape = dims.Select(DimMath.AsSize).ToArray();
        c.SetOutput(0, type, shape);
        if (shape is [] or [{ ConstantValue: not null }] && c.State.ConstantData(value) is [var fill])
            c.SetOutputValue(0, Enumerable.Repeat(fill, (int)(shape is [var n] ? n!.ConstantValue!.Value : 1)).ToArray());
    }

    /// <summary>Range: a vector of max(ceil((limit - start) / delta), 0) elements.</summary>
    public static void Range(NodeContext c)
    {
        var type = c.InputType(0);
        var (start, limit, delta) = (Scalar(c, 0), Scalar(c, 1), Scalar(c, 2));
        SymDim? count = null;
        if (start?.ConstantValue is { } s && limit?.ConstantValue is { } l && delta?.ConstantValue is { } d && d != 0)
        {
            var n = Math.Max((long)Math.Ceiling((double)(l - s) / d), 0);
            count = SymDim.Const(n);
            if (n <= c.State.Options.MaxPropagatedElements)
                c.SetOutputValue(0, Enumerable.Range(0, (int)n).Select(i => (SymDim?)SymDim.Const(s + i * d)).ToArray());
        }
        else if (delta?.ConstantValue is { } step && step > 0 && start?.ConstantValue is { } s0 && DimMath.AsSize(limit) is { } size)
            count = s0 == 0 ? size.CeilDiv(step) : null; // a size is never negative, so the count is ceil(size / step)
        c.SetOutput(0, type, [count]);
    }

    /// <summary>NonZero: int64 [rank, count], the count known only from data.</summary>
    public static void NonZero(NodeContext c) =>
        c.SetOutput(0, ElementType.Int64, [c.InputRank(0) is { } r ? SymDim.Const(r) : null, null]);

    public static void EyeLike(NodeContext c)
    {
        var dtype = c.Int("dtype", 0);
        c.SetOutput(0, dtype != 0 ? (ElementType)dtype : c.InputType(0), c.InputShape(0));
    }

    private static SymDim? Scalar(NodeContext c, int input) => c.InputValue(input) is [var v] ? v : null;
}
