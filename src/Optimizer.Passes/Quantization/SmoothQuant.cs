using System.Globalization;
using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// SmoothQuant (Xiao et al., 2023): moves the per-channel outliers of a MatMul/Gemm activation into its constant
/// weight, where per-channel quantization absorbs them. For an activation X read by MatMuls with constant weights,
/// channel j (the last axis) is divided by s_j = max|X_j|^α / max|W_j|^(1-α) and the weight rows W_j multiplied
/// by s_j; the division is folded into the op that produces X, so the FP32 model computes the same function.
/// <code>
/// LayerNormalization(x, γ, β) → MatMul(·, W)       => LayerNormalization(x, γ/s, β/s) → MatMul(·, diag(s)·W)
/// Mul(z, γ) → Add(·, β) → MatMul(·, W)              => Mul(z, γ/s) → Add(·, β/s) → MatMul(·, diag(s)·W)
/// MatMul(a, V) → Add(·, b) → MatMul(·, W)           => MatMul(a, V·diag(1/s)) → Add(·, b/s) → MatMul(·, diag(s)·W)
/// </code>
/// Another reader of X (the residual Add of a post-LayerNorm transformer) reads Mul(X/s, s) instead, so it sees X.
/// The per-channel maxima of X come from calibration (<see cref="Sites"/> names the tensors).
/// </summary>
public sealed class SmoothQuant(float alpha, IReadOnlyDictionary<string, float[]> channelMax) : IPass
{
    public string Name => "smooth-quant";

    public string Description => "Moves activation outliers of MatMul/Gemm inputs into the constant weights (SmoothQuant), exact in FP32.";

    public PassKind Kind => PassKind.Quantization;

    /// <summary>s_j is kept within [1/<see cref="MaxScale"/>, <see cref="MaxScale"/>] so no channel loses its float precision.</summary>
    public const float MaxScale = 1e4f;

    /// <summary>The activations the pass can smooth (their per-channel maxima are needed), with no change to the model.</summary>
    public static IReadOnlyList<string> Sites(Model model) =>
        model.Graph.Nodes.SelectMany(n => n.Outputs).OfType<Value>().Where(v => Check(v, out _) is null).Select(v => v.Name).ToList();

    public PassResult Run(Model model, PassContext context)
    {
        if (alpha is < 0 or > 1) throw new InvalidOperationException($"SmoothQuant's alpha {alpha} is not in [0, 1]");
        var rewrites = 0;
        foreach (var x in model.Graph.Nodes.SelectMany(n => n.Outputs).OfType<Value>().ToList())
        {
            if (!x.Uses.Any(u => IsWeighted(u.Node, u.InputIndex))) continue;
            if (Check(x, out var site) is { } why)
            {
                if (x.Producer is { } p) context.Decline(p, why);
                continue;
            }
            if (!channelMax.TryGetValue(x.Name, out var amax) || amax.Length != site!.Channels)
            {
                context.Decline(x.Producer!, $"no per-channel maximum of '{x.Name}' with {site!.Channels} channels was calibrated");
                continue;
            }
            rewrites += Smooth(site, amax, context);
        }
        return PassResult.FromRewrites(rewrites);
    }

    /// <summary>One activation to smooth: what produces it, the MatMul/Gemm weights that read it, the other readers.</summary>
    private sealed record Site(Value X, int Channels, Node Absorber, Node? BiasAdd, List<(Node Node, int Input)> Weighted, List<Use> Others);

    private static bool IsWeighted(Node node, int input) =>
        input == 0 && node.IsDefaultDomain && node.OpType is "MatMul" or "Gemm" && Patterns.Constant(node.Input(1)) is { ElementType: ElementType.Float, Dims.Count: 2 }
        && (node.OpType == "MatMul" || node.GetInt("transA", 0) == 0);

    /// <summary>Why <paramref name="x"/> cannot be smoothed, or null (and the site) when it can. Changes nothing.</summary>
    private static string? Check(Value x, out Site? site)
    {
        site = null;
        var weighted = x.Uses.Where(u => IsWeighted(u.Node, u.InputIndex)).Select(u => (u.Node, u.InputIndex)).ToList();
        if (weighted.Count == 0) return "not read by a MatMul or Gemm with a constant weight";
        if (x.IsGraphOutput) return $"'{x.Name}' is a graph output";
        var channels = WeightRows(weighted[0].Node).Length;
        if (weighted.Any(w => WeightRows(w.Node).Length != channels)) return $"the weights reading '{x.Name}' differ in their number of rows";
        var others = x.Uses.Where(u => !weighted.Contains((u.Node, u.InputIndex))).ToList();
        // The producer that takes 1/s: a LayerNormalization over the last axis, or an affine op with per-channel constants.
        var producer = x.Producer;
        Node? biasAdd = null;
        if (producer is { OpType: "Add", IsDefaultDomain: true } add && ConstantOperand(add) is { } bias)
        {
            if (!IsPerChannel(bias.Constant, channels)) return $"the Add producing '{x.Name}' adds a constant that is not one value per channel";
            var inner = add.Input(1 - bias.Index)!;
            if (!Patterns.HasSingleUse(inner)) return $"'{inner.Name}' before the bias Add is also read elsewhere";
            biasAdd = add;
            producer = inner.Producer;
        }
        switch (producer)
        {
            case { OpType: "LayerNormalization", IsDefaultDomain: true } ln when biasAdd is null:
                var axis = ln.GetInt("axis", -1);
                if (axis != -1 && axis != Patterns.Rank(x) - 1) return "LayerNormalization does not normalize the last axis";
                if (!IsPerChannel(Patterns.Constant(ln.Input(1)), channels) || ln.Input(2) is { } b && !IsPerChannel(Patterns.Constant(b), channels))
                    return "LayerNormalization's scale or bias is not a constant of one value per channel";
                if (ln.Outputs.Skip(1).Any(o => o is { Uses.Count: > 0 } || o is { IsGraphOutput: true })) return "LayerNormalization's mean or inverse deviation is used";
                break;
            case { OpType: "Mul", IsDefaultDomain: true } mul when ConstantOperand(mul) is { } gamma:
                if (!IsPerChannel(gamma.Constant, channels)) return $"the Mul producing '{x.Name}' multiplies by a constant that is not one value per channel";
                break;
            case { OpType: "MatMul" or "Gemm", IsDefaultDomain: true } mm when IsWeighted(mm, 0):
                var columns = mm.OpType == "Gemm" && mm.GetInt("transB", 0) != 0 ? WeightRows(mm).Length : Columns(mm);
                if (columns != channels) return $"the {mm.OpType} producing '{x.Name}' has {columns} output channels, not {channels}";
                if (mm.OpType == "Gemm" && mm.Input(2) is { } c && !IsPerChannel(Patterns.Constant(c), channels)) return "Gemm's C is not a constant of one value per channel";
                break;
            default:
                return $"'{x.Name}' comes from {producer?.OpType ?? "a graph input"}, which cannot absorb a per-channel scale (a LayerNormalization, a Mul by a constant, or a MatMul/Gemm with a constant weight can)";
        }
        site = new Site(x, channels, producer!, biasAdd, weighted, others);
        return null;
    }

    private int Smooth(Site site, float[] amax, PassContext context)
    {
        // s_j = max|X_j|^α / max|W_j|^(1-α), over every weight reading X (they all take the same s).
        var wmax = new float[site.Channels];
        foreach (var (node, _) in site.Weighted)
        {
            var rows = WeightRows(node);
            for (var j = 0; j < wmax.Length; j++) wmax[j] = Math.Max(wmax[j], rows[j]);
        }
        var s = new float[site.Channels];
        for (var j = 0; j < s.Length; j++)
            s[j] = amax[j] > 0 && wmax[j] > 0
                ? Math.Clamp(MathF.Pow(amax[j], alpha) / MathF.Pow(wmax[j], 1 - alpha), 1 / MaxScale, MaxScale)
                : 1f;
        var inverse = s.Select(v => 1 / v).ToArray();
        var graph = site.X.Graph!;

        foreach (var (node, _) in site.Weighted) ScaleWeight(node, s, graph);
        var absorber = site.Absorber;
        switch (absorber.OpType)
        {
            case "LayerNormalization":
                ScaleInput(absorber, 1, inverse, graph);
                if (absorber.Input(2) is not null) ScaleInput(absorber, 2, inverse, graph);
                break;
            case "Mul":
                ScaleInput(absorber, ConstantOperand(absorber)!.Value.Index, inverse, graph);
                break;
            default:
                ScaleColumns(absorber, inverse, graph);
                if (absorber.OpType == "Gemm" && absorber.Input(2) is not null) ScaleInput(absorber, 2, inverse, graph);
                break;
        }
        if (site.BiasAdd is { } add) ScaleInput(add, ConstantOperand(add)!.Value.Index, inverse, graph);
        if (site.Others.Count > 0)
        {
            // The other readers still need X itself: X = (X/s)·s.
            var back = Patterns.AddInitializer(graph, site.X.Name + "_smooth_scale", s, site.Channels);
            var restore = new Node("Mul", [site.X, back], [graph.UniqueValueName(site.X.Name + "_unsmoothed")], name: graph.UniqueNodeName(site.X.Name + "_unsmooth"));
            restore.Output().Type = site.X.Type;
            graph.InsertAfter(site.X.Producer!, restore);
            foreach (var use in site.Others) use.Node.SetInput(use.InputIndex, restore.Output());
        }
        var spread = s.Max() / s.Min();
        return context.Step($"'{site.X.Name}' smoothed into {site.Weighted.Count} weight(s) (α {alpha.ToString(CultureInfo.InvariantCulture)}, s from {s.Min():G3} to {s.Max():G3}, spread {spread:G3})"
                            + (site.Others.Count > 0 ? $"; {site.Others.Count} other reader(s) take it back through a Mul" : ""), absorber);
    }

    /// <summary>max_n |W[j, n]| for each input channel j of a MatMul/Gemm weight.</summary>
    private static float[] WeightRows(Node node)
    {
        var w = Patterns.Constant(node.Input(1))!;
        var data = w.ToArray<float>();
        var (rows, cols) = ((int)w.Dims[0], (int)w.Dims[1]);
        var transposed = node.OpType == "Gemm" && node.GetInt("transB", 0) != 0;
        var result = new float[transposed ? cols : rows];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
            {
                var j = transposed ? c : r;
                result[j] = Math.Max(result[j], Math.Abs(data[r * cols + c]));
            }
        return result;
    }

    private static int Columns(Node node) => (int)Patterns.Constant(node.Input(1))!.Dims[1];

    // W[j, :] *= s_j (input channel j): rows, or columns of a transposed Gemm B.
    private static void ScaleWeight(Node node, float[] s, Graph graph)
    {
        var transposed = node.OpType == "Gemm" && node.GetInt("transB", 0) != 0;
        Rescale(node, 1, graph, (r, c) => s[transposed ? c : r]);
    }

    // W[:, j] /= s_j (output channel j) of the producing MatMul/Gemm.
    private static void ScaleColumns(Node node, float[] inverse, Graph graph)
    {
        var transposed = node.OpType == "Gemm" && node.GetInt("transB", 0) != 0;
        Rescale(node, 1, graph, (r, c) => inverse[transposed ? r : c]);
    }

    // A per-channel constant (broadcast along the last axis) times factor[j].
    private static void ScaleInput(Node node, int input, float[] factor, Graph graph)
    {
        var t = Patterns.Constant(node.Input(input))!;
        var data = t.ToArray<float>();
        var dims = t.ElementCount == 1 ? [factor.Length] : t.Dims.ToArray();
        var scaled = new float[factor.Length];
        for (var j = 0; j < scaled.Length; j++) scaled[j] = (data.Length == 1 ? data[0] : data[j]) * factor[j];
        Swap(node, input, Patterns.AddInitializer(graph, node.Input(input)!.Name + "_smoothed", scaled, dims));
    }

    private static void Rescale(Node node, int input, Graph graph, Func<int, int, float> factor)
    {
        var t = Patterns.Constant(node.Input(input))!;
        var data = t.ToArray<float>();
        var (rows, cols) = ((int)t.Dims[0], (int)t.Dims[1]);
        var scaled = new float[data.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++) scaled[r * cols + c] = data[r * cols + c] * factor(r, c);
        Swap(node, input, Patterns.AddInitializer(graph, node.Input(input)!.Name + "_smoothed", scaled, rows, cols));
    }

    /// <summary>Points the input at the scaled copy and drops the original constant once nothing reads it.</summary>
    private static void Swap(Node node, int input, Value scaled)
    {
        var old = node.Input(input)!;
        node.SetInput(input, scaled);
        if (old.Uses.Count > 0 || old.IsGraphOutput || old.IsGraphInput) return;
        if (old.IsInitializer && old.Graph is { } g) g.RemoveInitializer(old);
        else if (old.Producer is { IsConstantNode: true } c) Patterns.RemoveIfUnused(c);
    }

    private static (int Index, Tensor Constant)? ConstantOperand(Node node)
    {
        for (var i = 0; i < 2; i++)
            if (Patterns.Constant(node.Input(i)) is { ElementType: ElementType.Float } t && Patterns.Constant(node.Input(1 - i)) is null)
                return (i, t);
        return null;
    }

    /// <summary>A float constant of one value, or of one value per channel on the last axis with 1s before it.</summary>
    private static bool IsPerChannel(Tensor? t, int channels) =>
        t is { ElementType: ElementType.Float } && (t.ElementCount == 1 || t.ElementCount == channels && t.Dims.Count > 0 && t.Dims[^1] == channels);
}
