using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// Narrows a calibrated range to what the tensor's consumers can tell apart. When every consumer maps all values
/// below some L to the same result (HardSigmoid, hard-swish, Relu, Clip), clamping the tensor at L changes no output,
/// so its quantization grid need not reach below L; the same holds above. A Conv before hard-swish typically spends
/// most of its uint8 range on large negative values hard-swish turns into 0 (PP-LCNet, MobileNetV3): narrowing gives
/// the values that matter a grid several times finer. The bounds are exact, never a heuristic clip.
/// </summary>
public static class SaturatingConsumers
{
    /// <summary>
    /// <paramref name="range"/> narrowed to the interval outside which no consumer of <paramref name="value"/> sees a
    /// difference; unchanged when any consumer (or a graph output) reads it as it is.
    /// </summary>
    public static ValueRange Narrow(Value value, ValueRange range)
    {
        if (value.IsGraphOutput || value.Uses.Count == 0) return range;
        // Each consumer is flat outside its own interval; a clamp changes none of them only when it keeps all those
        // intervals: the union.
        var (low, high) = (float.PositiveInfinity, float.NegativeInfinity);
        foreach (var use in value.Uses)
        {
            if (Bounds(use, value) is not { } b) return range;
            (low, high) = (Math.Min(low, b.Low), Math.Max(high, b.High));
        }
        var min = Math.Max(range.Min, low);
        var max = Math.Min(range.Max, high);
        return min < max ? new ValueRange(min, max) : range;
    }

    /// <summary>The interval outside which <paramref name="use"/> is constant in <paramref name="x"/>, or null when it is not flat anywhere we know.</summary>
    private static (float Low, float High)? Bounds(Use use, Value x)
    {
        var node = use.Node;
        if (!node.IsDefaultDomain) return null;
        switch (node.OpType)
        {
            case "Relu":
                return (0f, float.PositiveInfinity);
            case "HardSigmoid":
                return HardSigmoidBounds(node);
            case "HardSwish":
                // x · max(0, min(1, x/6 + 1/2)): 0 for every x ≤ -3, linear above 3.
                return (-3f, float.PositiveInfinity);
            case "Clip" when use.InputIndex == 0:
            {
                var min = ScalarOrNull(node.Input(1), float.NegativeInfinity);
                var max = ScalarOrNull(node.Input(2), float.PositiveInfinity);
                return min is { } lo && max is { } hi ? (lo, hi) : null;
            }
            case "Mul":
            {
                // x · HardSigmoid(x) (hard-swish as opset 13 writes it): 0 wherever the gate is 0, whatever x is.
                var other = node.Input(1 - use.InputIndex);
                if (node.Inputs.Count != 2 || other is null || ReferenceEquals(other, x)) return null;
                if (other.Producer is not { OpType: "HardSigmoid" } gate || !ReferenceEquals(gate.Input(0), x) || !gate.IsDefaultDomain) return null;
                return HardSigmoidBounds(gate) is { } b ? (b.Low, float.PositiveInfinity) : null;
            }
            default:
                return null;
        }
    }

    // max(0, min(1, αx + β)) with α > 0: 0 below -β/α, 1 above (1-β)/α.
    private static (float Low, float High)? HardSigmoidBounds(Node node)
    {
        var alpha = node.GetFloat("alpha", 0.2f);
        var beta = node.GetFloat("beta", 0.5f);
        if (!(alpha > 0) || !float.IsFinite(beta)) return null;
        return (-beta / alpha, (1 - beta) / alpha);
    }

    private static float? ScalarOrNull(Value? bound, float absent)
    {
        if (bound is null) return absent;
        return Patterns.Constant(bound) is { ElementCount: 1 } t ? (float)t.ToDoubles()[0] : null;
    }
}
