namespace Optimizer.Onnx.Inference.Rules;

/// <summary>
/// The arithmetic of shape computations on symbolic elements: Add/Sub/Mul exactly, Div and Mod when the result is
/// exact (or both sides are constants), Max/Min on constants, comparisons when they can be decided.
/// </summary>
internal static class ValueArithmetic
{
    public static Func<SymDim, SymDim, SymDim?>? For(string opType, long fmod) => opType switch
    {
        "Add" or "Sum" => (a, b) => a + b,
        "Sub" => (a, b) => a - b,
        "Mul" => (a, b) => a * b,
        "Div" => Divide,
        "Mod" => (a, b) => Constants(a, b, (x, y) => y == 0 ? null : fmod != 0 ? x % y : x - y * (long)Math.Floor((double)x / y)),
        "Max" => (a, b) => a.Equals(b) ? a : Constants(a, b, (x, y) => Math.Max(x, y)),
        "Min" => (a, b) => a.Equals(b) ? a : Constants(a, b, (x, y) => Math.Min(x, y)),
        _ => null,
    };

    public static Func<SymDim, SymDim, SymDim?>? Compare(string opType) => opType switch
    {
        "Equal" => (a, b) => a.Equals(b) ? SymDim.One : NeverEqual(a, b) ? SymDim.Zero : Constants(a, b, (x, y) => x == y ? 1 : 0),
        "Less" => (a, b) => Constants(a, b, (x, y) => x < y ? 1 : 0),
        "LessOrEqual" => (a, b) => a.Equals(b) ? SymDim.One : Constants(a, b, (x, y) => x <= y ? 1 : 0),
        "Greater" => (a, b) => Constants(a, b, (x, y) => x > y ? 1 : 0),
        "GreaterOrEqual" => (a, b) => a.Equals(b) ? SymDim.One : Constants(a, b, (x, y) => x >= y ? 1 : 0),
        "And" => (a, b) => Constants(a, b, (x, y) => x != 0 && y != 0 ? 1 : 0),
        "Or" => (a, b) => Constants(a, b, (x, y) => x != 0 || y != 0 ? 1 : 0),
        "Xor" => (a, b) => Constants(a, b, (x, y) => (x != 0) ^ (y != 0) ? 1 : 0),
        _ => null,
    };

    /// <summary>A size against a negative constant (the -1 of a Reshape or Expand target): never equal.</summary>
    private static bool NeverEqual(SymDim a, SymDim b) =>
        a.IsNonNegative && b.ConstantValue < 0 || b.IsNonNegative && a.ConstantValue < 0;

    /// <summary>Integer division truncates toward zero (as ONNX Runtime does); symbolic only when exact.</summary>
    private static SymDim? Divide(SymDim a, SymDim b) =>
        a.IsConstant && b.IsConstant ? Constants(a, b, (x, y) => y == 0 ? null : x / y) : SymDim.ExactDiv(a, b);

    private static SymDim? Constants(SymDim a, SymDim b, Func<long, long, long?> f) =>
        a.ConstantValue is { } x && b.ConstantValue is { } y && f(x, y) is { } r ? SymDim.Const(r) : null;
}
