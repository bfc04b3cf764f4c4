using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Fusion;

/// <summary>
/// A per-output-channel affine map y' = y * Scale[c] + Shift[c] (what BatchNormalization, or a Mul and an Add by
/// per-channel constants, do after a Conv), folded into the weights and bias of the node that produces y.
/// Computed in double, rounded to float once.
/// </summary>
public sealed record ChannelAffine(double[] Scale, double[] Shift)
{
    public int Channels => Scale.Length;

    /// <summary>Why the map cannot be folded into <paramref name="producer"/>, or null when it can.</summary>
    public static string? WhyNotFoldable(Node producer, int channels)
    {
        if (Weight(producer) is not { } w) return $"the {producer.OpType} weight is not a constant float tensor";
        if (producer.OpType == "ConvTranspose" && producer.GetInt("group", 1) != 1) return "grouped ConvTranspose is not handled";
        if (producer.OpType == "Gemm" && producer.GetInt("transA", 0) is not 0 and not 1) return "Gemm transA is not 0 or 1";
        if (w.Dims.Count < 2 || (producer.OpType is "Gemm" or "MatMul" && w.Dims.Count != 2)) return $"the {producer.OpType} weight has rank {w.Dims.Count}";
        var axis = OutputAxis(producer);
        if (w.Dims[axis] != channels) return $"the weight has {w.Dims[axis]} output channels, the per-channel constants {channels}";
        if (producer.OpType is "Conv" or "ConvTranspose" && producer.Input(2) is { } b && Patterns.ConstantFloats(b)?.Length != channels)
            return "the bias is not a constant float vector of the channel count";
        if (producer.OpType == "Gemm" && producer.Input(2) is { } c && GemmBias(c, channels) is null)
            return "the Gemm C input is not a constant of shape [], [N], [1,N] or [M,N]";
        return null;
    }

    /// <summary>
    /// Folds the map into <paramref name="producer"/> (new initializers; shared weights stay untouched) and returns the
    /// value that now carries y': the producer's output, or for MatMul (no bias input) a new Add after it.
    /// </summary>
    public Value FoldInto(Node producer)
    {
        var graph = producer.Graph!;
        var w = Weight(producer)!;
        var axis = OutputAxis(producer);
        var dims = w.Dims.ToArray();
        var data = w.ToArray<float>();
        var inner = ElementCounts.Product(dims[(axis + 1)..], $"tensor '{w.Name}'");
        for (long i = 0; i < data.Length; i++)
            data[i] = (float)(data[i] * Scale[i / inner % Channels]);
        producer.SetInput(1, Patterns.AddInitializer(graph, w.Name + "_fused", data, dims));
        if (producer.OpType == "MatMul")
        {
            var shift = Shift.Select(s => (float)s).ToArray();
            if (shift.All(s => s == 0)) return producer.Output();
            var add = new Node("Add", [null, Patterns.AddInitializer(graph, w.Name + "_shift", shift, Channels)],
                [graph.UniqueValueName(producer.Output().Name + "_shifted")], name: graph.UniqueNodeName("Add_fused"));
            graph.InsertAfter(producer, add);
            add.SetInput(0, producer.Output());
            return add.Output();
        }
        var (bias, biasDims) = producer.OpType == "Gemm" ? NewGemmBias(producer) : NewBias(producer);
        var biasValue = Patterns.AddInitializer(graph, w.Name + "_bias_fused", bias, biasDims);
        if (producer.Inputs.Count > 2) producer.SetInput(2, biasValue);
        else producer.AddInput(biasValue);
        return producer.Output();
    }

    private (float[], long[]) NewBias(Node producer)
    {
        var old = Patterns.ConstantFloats(producer.Input(2)) ?? new float[Channels];
        return (old.Select((b, c) => (float)(b * Scale[c] + Shift[c])).ToArray(), [Channels]);
    }

    // C' = beta * C * s + t, so beta becomes 1
    private (float[], long[]) NewGemmBias(Node gemm)
    {
        var beta = gemm.GetFloat("beta", 1f);
        var (c, dims) = gemm.Input(2) is { } v ? GemmBias(v, Channels)!.Value : (new float[Channels], new long[] { Channels });
        var result = c.Select((x, i) => (float)(beta * x * Scale[i % Channels] + Shift[i % Channels])).ToArray();
        gemm.SetAttribute(Onnx.IR.Attribute.FromFloat("beta", 1f));
        return (result, dims);
    }

    /// <summary>Gemm's C as [N] or [M,N] data (a scalar or [1,N] broadcast to [N]).</summary>
    private static (float[], long[])? GemmBias(Value c, int channels)
    {
        if (Patterns.Constant(c) is not { ElementType: ElementType.Float } t) return null;
        var data = t.ToArray<float>();
        return t.Dims.ToArray() switch
        {
            [] or [1] => (Enumerable.Repeat(data[0], channels).ToArray(), [channels]),
            [var n] when n == channels => (data, [channels]),
            [1, var n] when n == channels => (data, [channels]),
            [_, var n] when n == channels => (data, t.Dims.ToArray()),
            _ => null,
        };
    }

    private static Tensor? Weight(Node producer) => Patterns.Constant(producer.Input(1)) is { ElementType: ElementType.Float } w ? w : null;

    /// <summary>The axis of the weight that indexes output channels.</summary>
    private static int OutputAxis(Node producer) => producer.OpType switch
    {
        "Conv" => 0,
        "ConvTranspose" => 1,
        "Gemm" => producer.GetInt("transB", 0) == 1 ? 0 : 1,
        _ => 1, // MatMul: [K, N]
    };
}
