using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Quantization;

namespace Optimizer.Passes.Pruning;

/// <summary>One layer's weights after unstructured pruning: how many, how many zero before and after.</summary>
public sealed record LayerSparsity(string Layer, string OpType, long Weights, long ZerosBefore, long ZerosAfter)
{
    public double Sparsity => Weights == 0 ? 0 : (double)ZerosAfter / Weights;
}

/// <summary>
/// Unstructured pruning: individual weights of Conv/ConvTranspose/Gemm/MatMul set to zero, those whose magnitude is
/// below the threshold or the smallest fraction (per layer, or one cut over all layers with
/// <see cref="PruneScope.Global"/>). With <see cref="PruningSettings.TwoFour"/>, the two smallest of every four
/// consecutive weights along the input dimension (the 2:4 pattern TensorRT's sparse kernels run); a layer whose input
/// dimension is not a multiple of 4 is left alone. The graph keeps its shape: dense CPU kernels run no faster; the
/// zeros make the file compress better and let sparse kernels (TensorRT on Ampere and later) skip work.
/// </summary>
public sealed class UnstructuredPruning(PruningSettings settings) : IPass
{
    public string Name => "prune-unstructured";

    public string Description => "Sets the smallest-magnitude weights of Conv/Gemm/MatMul to zero (threshold, amount, or 2:4 along the input dimension).";

    public PassKind Kind => PassKind.Pruning;

    public IReadOnlyList<LayerSparsity> Result { get; private set; } = [];

    public PassResult Run(Model model, PassContext context)
    {
        NodeNaming.EnsureNames(model);
        var layers = new List<(Node Node, Tensor Weight, int InputAxis)>();
        foreach (var node in model.Graph.Nodes)
        {
            if (node.OpType is not ("Conv" or "ConvTranspose" or "Gemm" or "MatMul") || !node.IsDefaultDomain) continue;
            if (Patterns.Constant(node.Input(1)) is not { ElementType: ElementType.Float } w || w.Dims.Count < 2) continue;
            if (settings.Excludes(node))
            {
                context.Decline(node, "it is excluded (--exclude): left alone");
                continue;
            }
            layers.Add((node, w, InputAxis(node, w)));
        }
        var globalCut = settings.Scope == PruneScope.Global && settings.Amount is { } amount && !settings.TwoFour
            ? Cut(layers.SelectMany(l => l.Weight.ToArray<float>()).Select(Math.Abs).ToArray(), amount) : (double?)null;
        var result = new List<LayerSparsity>();
        var steps = 0;
        foreach (var (node, weight, inputAxis) in layers)
        {
            var data = weight.ToArray<float>();
            var zerosBefore = data.LongCount(x => x == 0);
            if (settings.TwoFour)
            {
                if (weight.Dims[inputAxis] % 4 != 0)
                {
                    context.Decline(node, $"its input dimension ({weight.Dims[inputAxis]}) is not a multiple of 4: no 2:4 pattern");
                    result.Add(new LayerSparsity(node.Name, node.OpType, data.Length, zerosBefore, zerosBefore));
                    continue;
                }
                TwoOfFour(data, weight.Dims.ToArray(), inputAxis);
            }
            else
            {
                var cut = settings.Threshold ?? globalCut ?? Cut(data.Select(Math.Abs).ToArray(), settings.Amount ?? 0);
                for (var i = 0; i < data.Length; i++)
                    if (Math.Abs(data[i]) < cut) data[i] = 0;
            }
            var zerosAfter = data.LongCount(x => x == 0);
            result.Add(new LayerSparsity(node.Name, node.OpType, data.Length, zerosBefore, zerosAfter));
            if (zerosAfter == zerosBefore) continue;
            var graph = node.Graph!;
            var old = node.Input(1)!;
            node.SetInput(1, graph.AddInitializer(Tensor.FromArray(graph.UniqueValueName(weight.Name + "_sparse"), data, weight.Dims.ToArray())));
            if (old.Uses.Count == 0 && old.IsInitializer && !old.IsGraphInput && !old.IsGraphOutput) graph.RemoveInitializer(old);
            steps += context.Step($"{zerosAfter - zerosBefore} of {data.Length} weights set to zero", node);
        }
        Result = result;
        return PassResult.FromRewrites(steps);
    }

    /// <summary>The magnitude below which the smallest <paramref name="amount"/> of <paramref name="magnitudes"/> lie.</summary>
    private static double Cut(float[] magnitudes, double amount)
    {
        var count = (int)Math.Round(amount * magnitudes.Length, MidpointRounding.AwayFromZero);
        if (count <= 0) return 0;
        if (count >= magnitudes.Length) return double.PositiveInfinity;
        Array.Sort(magnitudes);
        // Ties at the cut stay (strictly below is removed): the amount is then at most what was asked.
        return magnitudes[count];
    }

    /// <summary>The weight axis of the input dimension (what a 2:4 group runs along).</summary>
    private static int InputAxis(Node node, Tensor weight) => node.OpType switch
    {
        "Conv" => 1,
        "ConvTranspose" => 0,
        "Gemm" => node.GetInt("transB", 0) == 1 ? 1 : 0,
        _ => weight.Dims.Count - 2,
    };

    /// <summary>In every run of four consecutive positions of <paramref name="axis"/>, the two smallest magnitudes become zero.</summary>
    private static void TwoOfFour(float[] data, long[] dims, int axis)
    {
        var inner = dims.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        var length = dims[axis];
        var outer = data.Length / (length * inner);
        var group = new long[4];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
                for (long k = 0; k < length; k += 4)
                {
                    for (var j = 0; j < 4; j++) group[j] = (o * length + k + j) * inner + i;
                    var order = group.OrderBy(g => Math.Abs(data[g])).ToArray();
                    data[order[0]] = 0;
                    data[order[1]] = 0;
                }
    }
}
