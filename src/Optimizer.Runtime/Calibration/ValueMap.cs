using Optimizer.Onnx.IR;

namespace Optimizer.Runtime.Calibration;

/// <summary>
/// A chain of monotone element-wise steps from one tensor to another (x / 1.414, erf, + 1 in an exact GELU): the
/// order of the values is kept (or reversed), so the minimum, the maximum and every order statistic of the result are
/// the steps applied to those of the source. Calibration observes the source once and reads the result's statistics
/// through the map (<see cref="TensorStatistics.Through"/>) instead of exposing both. A histogram does not carry over
/// (its bins would be bent), so maps are used only for statistics kept without one.
/// </summary>
public sealed class ValueMap
{
    private readonly IReadOnlyList<Step> _steps;

    private ValueMap(IReadOnlyList<Step> steps) => _steps = steps;

    public static ValueMap Identity { get; } = new([]);

    public bool IsIdentity => _steps.Count == 0;

    /// <summary>True when larger inputs never give smaller results; false when they never give larger ones.</summary>
    public bool Increasing => _steps.Count(s => !s.Increasing) % 2 == 0;

    /// <summary>Whether |f(x)| depends on |x| alone, non-decreasingly (odd steps: scaling, erf, tanh), as tails of |x| need.</summary>
    public bool Odd => _steps.All(s => s.Odd);

    /// <summary>This map followed by <paramref name="next"/>.</summary>
    public ValueMap Then(ValueMap next) => new(_steps.Concat(next._steps).ToList());

    /// <summary>The steps applied to <paramref name="x"/>, in float32 as ONNX Runtime computes them (infinities kept).</summary>
    public float Apply(float x)
    {
        if (float.IsInfinity(x)) return Increasing ? x : -x;
        foreach (var step in _steps) x = step.Apply(x);
        return x;
    }

    public override string ToString() => IsIdentity ? "identity" : string.Join(", ", _steps.Select(s => s.Name));

    /// <summary>
    /// The step <paramref name="node"/> takes from <paramref name="data"/> (one of its inputs) to its output, when it
    /// is monotone element-wise: Add, Sub, Mul, Div with a one-element float constant, Neg, Relu, LeakyRelu (alpha at
    /// least 0), Clip with constant bounds, Sigmoid, Tanh, Erf. Null for anything else (a Div of a constant by the
    /// data, an initializer a caller can override, a node of another domain).
    /// </summary>
    public static ValueMap? Of(Node node, Value data)
    {
        if (!node.IsDefaultDomain || node.Outputs.Count != 1 || node.Inputs.Count == 0) return null;
        if (node.OpType is "Add" or "Sub" or "Mul" or "Div")
            return node.Inputs.Count == 2 && Arithmetic(node, data) is { } arithmetic ? new ValueMap([arithmetic]) : null;
        // a unary op (Clip's other inputs are its bounds)
        if (node.Inputs[0] != data) return null;
        var step = node.OpType switch
        {
            "Neg" => new Step("neg", x => -x, Increasing: false, Odd: true),
            "Relu" => new Step("relu", x => MathF.Max(x, 0f), Increasing: true, Odd: false),
            "LeakyRelu" when node.GetFloat("alpha", 0.01f) is var a && a >= 0 => new Step($"leaky relu {a}", x => x >= 0 ? x : x * a, true, false),
            "Sigmoid" => new Step("sigmoid", x => (float)(1 / (1 + Math.Exp(-x))), true, false),
            "Tanh" => new Step("tanh", MathF.Tanh, true, true),
            "Erf" => new Step("erf", x => (float)Erf.Of(x), true, true),
            "Clip" => ClipStep(node),
            _ => null,
        };
        return step is null ? null : new ValueMap([step]);
    }

    private static Step? Arithmetic(Node node, Value data)
    {
        var (a, b) = (node.Inputs[0], node.Inputs[1]);
        if (a is null || b is null) return null;
        var dataFirst = a == data;
        if (!dataFirst && b != data) return null;
        if (Scalar(dataFirst ? b : a) is not { } c || !float.IsFinite(c)) return null;
        return (node.OpType, dataFirst) switch
        {
            ("Add", _) => new Step($"+ {c}", x => x + c, true, false),
            ("Sub", true) => new Step($"- {c}", x => x - c, true, false),
            ("Sub", false) => new Step($"{c} -", x => c - x, false, false),
            ("Mul", _) when c != 0 => new Step($"x {c}", x => x * c, c > 0, true),
            ("Div", true) when c != 0 => new Step($"/ {c}", x => x / c, c > 0, true),
            _ => null,
        };
    }

    private static Step? ClipStep(Node node)
    {
        float low, high;
        if (node.Inputs.Count > 1 || node.HasAttribute("min") || node.HasAttribute("max"))
        {
            // opset 11 and later: optional constant inputs; before: attributes
            var lowInput = node.Inputs.Count > 1 ? node.Inputs[1] : null;
            var highInput = node.Inputs.Count > 2 ? node.Inputs[2] : null;
            if (lowInput is not null && Scalar(lowInput) is null || highInput is not null && Scalar(highInput) is null) return null;
            low = lowInput is not null ? Scalar(lowInput)!.Value : node.GetFloat("min", float.NegativeInfinity);
            high = highInput is not null ? Scalar(highInput)!.Value : node.GetFloat("max", float.PositiveInfinity);
        }
        else (low, high) = (float.NegativeInfinity, float.PositiveInfinity);
        return low <= high ? new Step($"clip {low}..{high}", x => MathF.Min(MathF.Max(x, low), high), true, false) : null;
    }

    /// <summary>
    /// The value of a one-element float constant (<see cref="Value.GetConstant"/>: an initializer no caller can
    /// override, or a Constant node's value); null otherwise.
    /// </summary>
    private static float? Scalar(Value value) =>
        value.GetConstant() is { ElementType: ElementType.Float, ElementCount: 1 } tensor ? tensor.ToArray<float>()[0] : null;

    /// <summary>The error function in double precision: its series below 2.5, its complement's continued fraction above.</summary>
    internal static class Erf
    {
        public static double Of(double x)
        {
            if (double.IsNaN(x)) return x;
            var a = Math.Abs(x);
            double r;
            if (a < 2.5)
            {
                // 2/sqrt(pi) * sum (-1)^n a^(2n+1) / (n! (2n+1))
                double term = a, sum = a, a2 = a * a;
                for (var n = 1; n < 200; n++)
                {
                    term *= -a2 / n;
                    var add = term / (2 * n + 1);
                    sum += add;
                    if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
                }
                r = sum * 2 / Math.Sqrt(Math.PI);
            }
            else if (a > 6) r = 1;
            else
            {
                // erfc(a) = exp(-a^2) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + 2 / (a + ...)))))
                var f = a;
                for (var k = 80; k >= 1; k--) f = a + k / 2.0 / f;
                r = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
            }
            return x < 0 ? -r : r;
        }
    }

    private sealed record Step(string Name, Func<float, float> Apply, bool Increasing, bool Odd);
}
