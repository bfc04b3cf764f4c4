using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>MatMul (and its integer and quantized forms) and Gemm.</summary>
internal static class MatMulRules
{
    public static void MatMul(NodeContext c) => Multiply(c, 0, 1, c.InputType(0));

    public static void MatMulInteger(NodeContext c) => Multiply(c, 0, 1, ElementType.Int32);

    /// <summary>QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp): y has y_zero_point's type.</summary>
    public static void QLinearMatMul(NodeContext c) => Multiply(c, 0, 3, c.InputType(7));

    /// <summary>
    /// Numpy matmul: a 1-D operand is a row (left) or column (right) vector whose extra dim is dropped; the batch
    /// dims broadcast; the inner dims must agree.
    /// </summary>
    private static void Multiply(NodeContext c, int left, int right, ElementType type)
    {
        var a = c.InputShape(left);
        var b = c.InputShape(right);
        if (a is null || b is null)
        {
            c.SetOutput(0, type, null);
            return;
        }
        if (a.Length == 0 || b.Length == 0) throw c.Fail("MatMul of a scalar");
        var a2 = a.Length == 1 ? [SymDim.One, a[0]] : a;
        var b2 = b.Length == 1 ? [b[0], SymDim.One] : b;
        DimMath.RequireEqual(a2[^1], b2[^2], "inner dims differ");
        var batch = Broadcasting.Shapes([DimMath.Open(a2[..^2]), DimMath.Open(b2[..^2])])!;
        var output = batch.ToList();
        if (a.Length > 1) output.Add(a2[^2]);
        if (b.Length > 1) output.Add(b2[^1]);
        c.SetOutput(0, type, output);
    }

    /// <summary>Gemm: op(A) [M, K] x op(B) [K, N] = [M, N], C broadcast to it.</summary>
    public static void Gemm(NodeContext c)
    {
        var a = c.InputShape(0);
        var b = c.InputShape(1);
        if (a is not null && a.Length != 2 || b is not null && b.Length != 2) throw c.Fail("Gemm operands must be 2-D");
        var transA = c.Int("transA", 0) != 0;
        var transB = c.Int("transB", 0) != 0;
        SymDim? m = a is null ? null : transA ? a[1] : a[0];
        SymDim? k = a is null ? null : transA ? a[0] : a[1];
        SymDim? kb = b is null ? null : transB ? b[1] : b[0];
        SymDim? n = b is null ? null : transB ? b[0] : b[1];
        DimMath.RequireEqual(k, kb, "inner dims differ");
        c.SetOutput(0, c.InputType(0), [m, n]);
    }
}
