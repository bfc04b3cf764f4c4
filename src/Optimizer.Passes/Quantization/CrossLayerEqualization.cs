using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// Cross-layer equalization (Nagel et al., "Data-Free Quantization Through Weight Equalization and Bias Correction",
/// 2019): where one Conv feeds the next directly or through a Relu, output channel i of the first is divided by
/// s_i and input channel i of the second multiplied by it. The model computes the same function (Relu(x/s) =
/// Relu(x)/s for s &gt; 0), but each channel's weight range becomes √(r1·r2), so per-tensor grids (the activation
/// between the two, and per-tensor weights) no longer waste their levels on one dominant channel.
/// Only pairs where it is exact are touched: no other consumer of the first Conv's output, constant weights and bias
/// read by this node alone, and nothing but Relu between (hard-swish, Clip(0, 6), Sigmoid are not homogeneous).
/// </summary>
public sealed class CrossLayerEqualization : IPass
{
    /// <summary>Scales outside [1/Limit, Limit] are clamped: equalization never turns a channel into noise.</summary>
    private const float Limit = 1e4f;

    public string Name => "cross-layer-equalization";

    public string Description => "Rescales the channels of Conv→Conv and Conv→Relu→Conv pairs so both weights have equal per-channel ranges (exact; before static INT8).";

    public PassKind Kind => PassKind.Quantization;

    public PassResult Run(Model model, PassContext context)
    {
        var rewrites = 0;
        foreach (var second in model.Graph.Nodes.Where(n => n.OpType == "Conv" && n.IsDefaultDomain).ToList())
        {
            if (Match(second, out var first, out var why) is not { } pair)
            {
                if (why is not null) context.Decline(second, why);
                continue;
            }
            Equalize(pair);
            rewrites += context.Step($"channels of {PassDiagnostics.Describe(first!)} and this Conv equalized", second);
        }
        return PassResult.FromRewrites(rewrites);
    }

    private sealed record Pair(Tensor W1, Tensor? B1, Tensor W2, long Group2);

    // Conv1 → [Relu] → Conv2 with everything the rescaling touches owned by the pair; why is null when Conv2 does
    // not follow a Conv at all (nothing worth reporting).
    private static Pair? Match(Node second, out Node? first, out string? why)
    {
        first = null;
        why = null;
        var x = second.Input(0);
        if (x?.Producer is not { } producer) return null;
        var between = producer;
        if (producer is { OpType: "Relu" } && producer.IsDefaultDomain)
        {
            if (!Patterns.HasSingleUse(x)) return Fail(out why, "the Relu's output has another consumer");
            x = producer.Input(0);
            producer = x?.Producer;
        }
        if (producer is not { OpType: "Conv" } || !producer.IsDefaultDomain)
        {
            if (between.OpType is "HardSigmoid" or "HardSwish" or "Clip" or "Sigmoid" or "Mul" && between.Input(0)?.Producer is { OpType: "Conv" })
                why = $"a {between.OpType} between the Convs is not positively homogeneous (only Relu commutes with a per-channel scale)";
            return null;
        }
        first = producer;
        if (!Patterns.HasSingleUse(x!)) return Fail(out why, "the first Conv's output has another consumer");
        var w1 = Owned(first.Input(1), first);
        var w2 = Owned(second.Input(1), second);
        var b1 = first.Input(2) is { } b ? Owned(b, first) : null;
        if (w1 is null || w2 is null || (first.Input(2) is not null && b1 is null))
            return Fail(out why, "a weight or bias is not a float32 initializer read by this Conv alone");
        if (w1.Dims.Count < 3 || w2.Dims.Count != w1.Dims.Count) return Fail(out why, "weights of different or unknown rank");
        var channels = w1.Dims[0];
        var group2 = second.GetInt("group", 1);
        if (w2.Dims[1] * group2 != channels || w2.Dims[0] % group2 != 0) return Fail(out why, "the second Conv's input channels do not match the first Conv's outputs");
        if (b1 is not null && (b1.Dims.Count != 1 || b1.Dims[0] != channels)) return Fail(out why, "the first Conv's bias is not one value per channel");
        return new Pair(w1, b1, w2, group2);
    }

    private static Pair? Fail(out string why, string reason)
    {
        why = reason;
        return null;
    }

    private static Tensor? Owned(Value? v, Node node) =>
        v is { IsInitializer: true, IsOverridable: false } && v.Uses.All(u => u.Node == node) && v.Initializer!.ElementType == ElementType.Float
            ? v.Initializer : null;

    // W1[i] /= s_i, b1[i] /= s_i, W2[:, i] *= s_i with s_i = √(r1_i / r2_i): both ranges become √(r1_i·r2_i).
    private static void Equalize(Pair p)
    {
        var w1 = p.W1.ToArray<float>();
        var w2 = p.W2.ToArray<float>();
        var channels = (int)p.W1.Dims[0];
        var per1 = w1.Length / channels;
        var outs2 = (int)p.W2.Dims[0];
        var inPerGroup = (int)p.W2.Dims[1];
        var outsPerGroup = outs2 / (int)p.Group2;
        var kernel2 = w2.Length / (outs2 * inPerGroup);
        // Input channel i of the second Conv is slot i % inPerGroup of the output channels of group i / inPerGroup.
        IEnumerable<int> Slice2(int i)
        {
            var group = i / inPerGroup;
            var slot = i % inPerGroup;
            for (var o = group * outsPerGroup; o < (group + 1) * outsPerGroup; o++)
                for (var k = 0; k < kernel2; k++)
                    yield return (o * inPerGroup + slot) * kernel2 + k;
        }
        var b1 = p.B1?.ToArray<float>();
        for (var i = 0; i < channels; i++)
        {
            var r1 = 0f;
            for (var k = 0; k < per1; k++) r1 = Math.Max(r1, Math.Abs(w1[i * per1 + k]));
            var r2 = Slice2(i).Aggregate(0f, (m, j) => Math.Max(m, Math.Abs(w2[j])));
            if (r1 == 0 || r2 == 0) continue;
            var s = Math.Clamp(MathF.Sqrt(r1 / r2), 1 / Limit, Limit);
            for (var k = 0; k < per1; k++) w1[i * per1 + k] /= s;
            if (b1 is not null) b1[i] /= s;
            foreach (var j in Slice2(i)) w2[j] *= s;
        }
        p.W1.SetData(w1, p.W1.Dims.ToArray());
        p.W2.SetData(w2, p.W2.Dims.ToArray());
        if (b1 is not null) p.B1!.SetData(b1, p.B1.Dims.ToArray());
    }
}
