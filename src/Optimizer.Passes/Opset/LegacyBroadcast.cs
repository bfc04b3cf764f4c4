using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Opset;

/// <summary>
/// The broadcasting rules of opset 1..6, which opset 7 replaced with numpy's: the binary operators' `broadcast` and
/// `axis` attributes, Gemm's `broadcast`, and PRelu's per-channel slope. Each check says why a node's meaning
/// cannot be carried across; each rewrite reshapes the second input so numpy broadcasting lines it up as before.
/// </summary>
public static class LegacyBroadcast
{
    /// <summary>The operators that took `broadcast` and `axis` before opset 7.</summary>
    public static readonly string[] BinaryOps = ["Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less"];

    // With broadcast=1, B's dims match a contiguous run of A's dims starting at `axis` (suffix when absent);
    // without it the shapes are equal. Numpy aligns at the suffix, so only a B that ends before A's last axis moves.
    public static string? BinaryCheck(Node n)
    {
        if (n.GetInt("broadcast", 0) == 0 || !n.HasAttribute("axis")) return null;
        if (Patterns.Rank(n.Input(0)) is not { } a || Patterns.Rank(n.Input(1)) is not { } b)
            return "legacy broadcasting at an axis needs the ranks of both inputs, and they are unknown";
        var axis = Axis(n.GetInt("axis", 0), a);
        return axis < 0 || axis + b > a ? $"legacy broadcasting of a rank-{b} input at axis {n.GetInt("axis", 0)} of a rank-{a} input is invalid" : null;
    }

    // Add<broadcast=1, axis=1>(A[N,C,H,W], B[C]) => Add(A, B[C,1,1])
    public static void BinaryApply(Node n, long target)
    {
        if (n.GetInt("broadcast", 0) != 0 && n.HasAttribute("axis"))
        {
            var a = Patterns.Rank(n.Input(0))!.Value;
            var b = Patterns.Rank(n.Input(1))!.Value;
            var trailing = a - (int)Axis(n.GetInt("axis", 0), a) - b;
            if (trailing > 0) AppendOnes(n, 1, b, trailing);
        }
        n.RemoveAttribute("broadcast");
        n.RemoveAttribute("axis");
    }

    // Gemm-6 with broadcast=1 broadcasts C to (M, N); Gemm-7 does so numpy-style (unidirectionally). They agree
    // when C's dims, aligned at the end, are 1 or equal to M and N.
    public static string? GemmCheck(Node n)
    {
        if (n.GetInt("broadcast", 0) == 0) return null;
        if (n.Input(2)?.Shape is not { } c) return "C's shape is unknown, so its legacy broadcasting cannot be checked";
        var a = n.Input(0)?.Shape;
        var b = n.Input(1)?.Shape;
        if (a is not { Rank: 2 } || b is not { Rank: 2 } || c.Rank > 2) return "Gemm's inputs are not known to be matrices";
        Dim[] mn = [a[n.GetInt("transA", 0) == 0 ? 0 : 1], b[n.GetInt("transB", 0) == 0 ? 1 : 0]];
        for (var i = 0; i < c.Rank; i++)
        {
            var dim = c[i];
            var want = mn[2 - c.Rank + i];
            if (dim.Value == 1 || (dim.IsStatic && dim == want) || (dim.IsSymbolic && dim.Param == want.Param)) continue;
            return $"C's shape {c} is not known to broadcast to (M, N) numpy-style";
        }
        return null;
    }

    /// <summary>Removes Gemm's `broadcast`: <see cref="GemmCheck"/> made sure numpy broadcasting means the same.</summary>
    public static void GemmApply(Node n, long target) => n.RemoveAttribute("broadcast");

    // PRelu-6 shares a slope of size 1 everywhere, and otherwise applies one slope per channel (axis 1, as Caffe2's
    // PRelu it came from); PRelu-7 broadcasts the slope numpy-style from the last axis.
    public static string? PReluCheck(Node n)
    {
        var x = n.Input(0)?.Shape;
        if (Patterns.StaticShape(n.Input(1)) is not { } slope) return "the slope's shape is unknown, so its legacy broadcasting cannot be checked";
        if (slope.Aggregate(1L, (p, d) => p * d) == 1) return null;
        if (x is null) return "the input's rank is unknown, so the slope's channel axis cannot be found";
        if (slope.Length == 1 && x.Rank >= 2 && x[1].Value == slope[0]) return null;
        if (slope.Length == x.Rank && slope.Select(Dim.Of).SequenceEqual(x.Dims)) return null;
        return $"a slope of shape [{string.Join(",", slope)}] on an input of shape {x} has no numpy-style equivalent";
    }

    // PRelu-6(X[N,C,H,W], slope[C]) => PRelu-7(X, slope[C,1,1])
    public static void PReluApply(Node n, long target)
    {
        var slope = Patterns.StaticShape(n.Input(1))!;
        var rank = Patterns.Rank(n.Input(0)) ?? 0;
        if (slope.Length == 1 && slope[0] != 1 && rank > 2) AppendOnes(n, 1, 1, rank - 2);
    }

    private static long Axis(long axis, int rank) => axis < 0 ? axis + rank : axis;

    /// <summary>Gives input <paramref name="index"/> (of rank <paramref name="rank"/>) <paramref name="count"/> trailing 1-dims.</summary>
    private static void AppendOnes(Node n, int index, int rank, int count)
    {
        var value = n.Input(index)!;
        var graph = n.Graph!;
        if (value.GetConstant() is { } constant)
        {
            var dims = constant.Dims.Concat(Enumerable.Repeat(1L, count)).ToArray();
            if (value.IsInitializer && value.Uses.Count == 1 && !value.IsGraphOutput && value.Graph == graph)
            {
                // The only user: reshape the initializer where it is.
                constant.Reshape(dims);
                value.Type = new TensorTypeInfo(value.ElementType, new Shape(dims));
                return;
            }
            var copy = constant.Clone(graph.UniqueValueName(value.Name + "_broadcast"));
            copy.Reshape(dims);
            n.SetInput(index, graph.AddInitializer(copy));
            if (value.Producer is { IsConstantNode: true } producer) Patterns.RemoveIfUnused(producer);
            return;
        }
        // Reshape's 0 copies a dim, so only the ranks need be known: [0, ..., 0, 1, ..., 1].
        var shape = Enumerable.Repeat(0L, rank).Concat(Enumerable.Repeat(1L, count)).ToArray();
        var reshape = Patterns.InsertBefore(n, "Reshape", [value, Patterns.AddInitializer(graph, value.Name + "_broadcast_shape", shape, shape.Length)], value.Name + "_broadcast");
        n.SetInput(index, reshape.Output());
    }
}
