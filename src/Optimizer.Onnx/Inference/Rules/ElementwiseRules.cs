using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Unary and broadcasting binary/variadic operators, comparisons, Where and casts.</summary>
internal static class ElementwiseRules
{
    /// <summary>Output 0 has input 0's element type and shape (Relu, Sigmoid, Softmax, Clip, CumSum...).</summary>
    public static void SameAsInput(NodeContext c)
    {
        var x = c.Input(0);
        c.SetOutput(0, x.ElementType, x.Shape);
    }

    /// <summary>Identity: also passes the elements of a shape tensor through.</summary>
    public static void Identity(NodeContext c)
    {
        SameAsInput(c);
        c.SetOutputValue(0, c.InputValue(0));
    }

    public static void Neg(NodeContext c)
    {
        SameAsInput(c);
        c.SetOutputValue(0, c.InputValue(0)?.Select(v => -v).ToArray());
    }

    public static void Abs(NodeContext c)
    {
        SameAsInput(c);
        c.SetOutputValue(0, c.InputValue(0)?.Select(v => v.ConstantValue is { } k ? SymDim.Const(Math.Abs(k)) : v.IsSize ? v : null).ToArray());
    }

    /// <summary>A boolean of input 0's shape (Not, IsNaN, IsInf).</summary>
    public static void Predicate(NodeContext c)
    {
        c.SetOutput(0, ElementType.Bool, c.InputShape(0));
        if (c.Node.OpType == "Not")
            c.SetOutputValue(0, c.InputValue(0)?.Select(v => v.ConstantValue is { } k ? SymDim.Const(k == 0 ? 1 : 0) : null).ToArray());
    }

    /// <summary>Dropout: the data unchanged, and a boolean mask of the same shape.</summary>
    public static void Dropout(NodeContext c)
    {
        SameAsInput(c);
        c.SetOutput(1, c.Opset >= 10 ? ElementType.Bool : c.InputType(0), c.InputShape(0));
    }

    /// <summary>Add, Sub, Mul, Div, Pow, Mod, bitwise ops: broadcast shapes, input 0's type, and shape arithmetic.</summary>
    public static void Arithmetic(NodeContext c)
    {
        c.SetOutput(0, c.InputType(0), Broadcasting.Shapes([c.InputShape(0), c.InputShape(1)]));
        if (ValueArithmetic.For(c.Node.OpType, c.Node.GetInt("fmod", 0)) is { } op)
            c.SetOutputValue(0, Broadcasting.Values(c.InputValue(0), c.InputValue(1), op));
    }

    /// <summary>Equal, Less, Greater, And, Or, Xor...: broadcast shapes, boolean result.</summary>
    public static void Comparison(NodeContext c)
    {
        c.SetOutput(0, ElementType.Bool, Broadcasting.Shapes([c.InputShape(0), c.InputShape(1)]));
        if (ValueArithmetic.Compare(c.Node.OpType) is { } op)
            c.SetOutputValue(0, Broadcasting.Values(c.InputValue(0), c.InputValue(1), op));
    }

    /// <summary>Max, Min, Sum, Mean: any number of inputs broadcast together.</summary>
    public static void Variadic(NodeContext c)
    {
        var inputs = Enumerable.Range(0, c.InputCount).Where(c.HasInput).ToList();
        c.SetOutput(0, c.InputType(inputs.FirstOrDefault()), Broadcasting.Shapes(inputs.Select(i => c.InputShape(i))));
        if (ValueArithmetic.For(c.Node.OpType, 0) is { } op && c.Node.OpType != "Mean")
        {
            var values = c.InputValue(inputs[0])?.Select(v => (SymDim?)v).ToArray();
            foreach (var i in inputs.Skip(1))
                values = values is null || values.Any(v => v is null) ? null : Broadcasting.Values(values!.Cast<SymDim>().ToArray(), c.InputValue(i), op);
            c.SetOutputValue(0, values);
        }
    }

    /// <summary>Where(cond, x, y): the three shapes broadcast, x's type; with a known condition, the elements chosen.</summary>
    public static void Where(NodeContext c)
    {
        c.SetOutput(0, c.InputType(1), Broadcasting.Shapes([c.InputShape(0), c.InputShape(1), c.InputShape(2)]));
        if (c.InputValue(0) is not { } cond || c.InputValue(1) is not { } x || c.InputValue(2) is not { } y) return;
        var n = Math.Max(cond.Length, Math.Max(x.Length, y.Length));
        if (new[] { cond, x, y }.Any(v => v.Length != n && v.Length != 1)) return;
        static SymDim At(SymDim[] v, int i) => v[v.Length == 1 ? 0 : i];
        c.SetOutputValue(0, Enumerable.Range(0, n).Select(i => At(cond, i).ConstantValue is { } k
            ? k != 0 ? At(x, i) : At(y, i)
            : At(x, i).Equals(At(y, i)) ? At(x, i) : null).ToArray());
    }

    /// <summary>Cast: the shape unchanged, the type from <c>to</c>; integer shape elements pass through.</summary>
    public static void Cast(NodeContext c)
    {
        var to = (ElementType)c.Int("to", 0);
        c.SetOutput(0, to, c.InputShape(0));
        if (to is ElementType.Int64 or ElementType.Int32) c.SetOutputValue(0, c.InputValue(0));
        else if (to == ElementType.Bool)
            c.SetOutputValue(0, c.InputValue(0)?.Select(v => v.ConstantValue is { } k ? SymDim.Const(k != 0 ? 1 : 0) : null).ToArray());
    }

    public static void CastLike(NodeContext c)
    {
        var to = c.InputType(1);
        c.SetOutput(0, to, c.InputShape(0));
        if (to is ElementType.Int64 or ElementType.Int32) c.SetOutputValue(0, c.InputValue(0));
    }
}
