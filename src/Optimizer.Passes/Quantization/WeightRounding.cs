using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// A node static quantization gives int8 weights that <see cref="WeightRounding"/> can round by <see cref="Gptq"/>: a
/// Conv (1-D or 2-D), a Gemm, or a MatMul with a constant matrix. Its weight as a matrix has <paramref name="Rows"/>
/// output channels in <paramref name="Groups"/> groups, each row multiplying <paramref name="Inputs"/> values of
/// <paramref name="Input"/> (a Conv's patch: input channels of its group × kernel positions).
/// </summary>
public sealed record RoundingSite(string Node, string Input, int Rows, int Inputs, int Groups, int Axis);

/// <summary>
/// Stores weights chosen by GPTQ (<see cref="Gptq"/>) in place of the FP32 weights of the nodes static quantization then
/// quantizes: every new weight is an int8 value times the scale round-to-nearest gives, so the quantizer stores exactly
/// those integers. Like <see cref="BiasCorrection"/>, the float model then computes a slightly different function on
/// purpose: its quantized form computes closer to the original. Weights are given by node name in the node's own
/// layout; a node not given is left as it is, and a weight shared with another node gets a copy.
/// </summary>
public sealed class WeightRounding(IReadOnlyDictionary<string, float[]> weights) : IPass
{
    public string Name => "weight-rounding";

    public string Description => "Stores int8-exact weights chosen by GPTQ (output error on the calibration data, not each weight's own error).";

    public PassKind Kind => PassKind.Quantization;

    /// <summary>The nodes static quantization with <paramref name="settings"/> gives int8 weights this pass can round.</summary>
    public static IReadOnlyList<RoundingSite> Sites(Model model, QuantizationSettings settings)
    {
        var analysis = QdqPlanner.Analyze(model, settings);
        var sites = new List<RoundingSite>();
        foreach (var plan in analysis.Weights)
            if (plan.Node.Graph == model.Graph && plan.Node.Input(0) is { } input && Shape(plan.Node, out var rows, out var inputs, out var groups) is null)
                sites.Add(new RoundingSite(plan.Node.Name, input.Name, rows, inputs, groups, plan.Axis));
        return sites;
    }

    /// <summary>Why <paramref name="node"/>'s weight cannot be rounded as a matrix, or null with its shape as one.</summary>
    public static string? Shape(Node node, out int rows, out int inputs, out int groups)
    {
        (rows, inputs, groups) = (0, 0, 1);
        var w = Patterns.Constant(node.Input(1));
        if (w is not { ElementType: ElementType.Float }) return "its weight is not a float constant";
        var dims = w.Dims;
        switch (node.OpType)
        {
            case "Conv" when dims.Count is 3 or 4:
                groups = (int)node.GetInt("group", 1);
                if (groups < 1 || dims[0] % groups != 0) return "its group does not divide the output channels";
                rows = (int)dims[0];
                inputs = (int)(w.ElementCount / dims[0]);
                return null;
            case "Conv":
                return "only 1-D and 2-D convolutions are rounded";
            case "Gemm" when dims.Count == 2:
                var transB = node.GetInt("transB", 0) != 0;
                rows = (int)(transB ? dims[0] : dims[1]);
                inputs = (int)(transB ? dims[1] : dims[0]);
                return null;
            case "MatMul" when dims.Count == 2:
                rows = (int)dims[1];
                inputs = (int)dims[0];
                return null;
            default:
                return $"a {node.OpType} weight of rank {dims.Count} is not rounded";
        }
    }

    /// <summary>The weight of <paramref name="node"/> as rows × inputs (one output channel a row); see <see cref="Shape"/>.</summary>
    public static float[] Matrix(Node node)
    {
        var w = Patterns.Constant(node.Input(1))!.ToArray<float>();
        return Transposed(node) ? Transpose(w, (int)Patterns.Constant(node.Input(1))!.Dims[0]) : w;
    }

    /// <summary>A rows × inputs matrix of <paramref name="node"/> back in its weight's layout.</summary>
    public static float[] Layout(Node node, float[] matrix)
    {
        var dims = Patterns.Constant(node.Input(1))!.Dims;
        return Transposed(node) ? Transpose(matrix, (int)dims[1]) : matrix;
    }

    // MatMul's B and Gemm's B without transB are [K, N]: output channels on axis 1
    private static bool Transposed(Node node) => node.OpType == "MatMul" || (node.OpType == "Gemm" && node.GetInt("transB", 0) == 0);

    private static float[] Transpose(float[] m, int rows)
    {
        var columns = m.Length / rows;
        var t = new float[m.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++) t[c * rows + r] = m[r * columns + c];
        return t;
    }

    /// <summary>
    /// <paramref name="node"/>'s weight rounded by <see cref="Gptq"/> group by group with <paramref name="grams"/> (one
    /// <c>Inputs × Inputs</c> matrix per group of <paramref name="site"/>), with the scales static quantization gives
    /// it; in the weight's layout, with the summed output error of round-to-nearest and of the result.
    /// </summary>
    public static (float[] Weight, double NearestError, double Error) Round(Node node, RoundingSite site, IReadOnlyList<double[]> grams)
    {
        if (grams.Count != site.Groups) throw new ArgumentException($"{grams.Count} matrices for {site.Groups} groups", nameof(grams));
        var (rows, k) = (site.Rows, site.Inputs);
        var matrix = Matrix(node);
        // the scales the quantizer will compute (one per row, or one), and the weight each row holds at ±127
        var perRow = site.Axis >= 0;
        var quantizer = WeightQuantizer.Quantize(matrix, [rows, k], perRow ? 0 : -1);
        var scales = perRow ? quantizer.Scales : Enumerable.Repeat(quantizer.Scales[0], rows).ToArray();
        var pinned = new int[rows];
        if (perRow)
            for (var r = 0; r < rows; r++) pinned[r] = Largest(matrix, r * k, k);
        else
        {
            Array.Fill(pinned, -1);
            if (Largest(matrix, 0, matrix.Length) is var at and >= 0) pinned[at / k] = at % k;
        }
        var result = new float[matrix.Length];
        var per = rows / site.Groups;
        double nearest = 0, error = 0;
        for (var g = 0; g < site.Groups; g++)
        {
            var slice = matrix.AsSpan(g * per * k, per * k).ToArray();
            var rounded = Gptq.Round(slice, per, k, grams[g], scales[(g * per)..((g + 1) * per)], pinned[(g * per)..((g + 1) * per)]);
            rounded.Weights.CopyTo(result, g * per * k);
            nearest += rounded.NearestError;
            error += rounded.Error;
        }
        return (Layout(node, result), nearest, error);
    }

    /// <summary>The offset of the largest |w| in values[start..start+count] (-1 when all are 0).</summary>
    private static int Largest(float[] values, int start, int count)
    {
        var (amax, at) = (0f, -1);
        for (var i = 0; i < count; i++)
            if (Math.Abs(values[start + i]) > amax) (amax, at) = (Math.Abs(values[start + i]), i);
        return at;
    }

    public PassResult Run(Model model, PassContext context)
    {
        var rewrites = 0;
        foreach (var node in model.Graph.Nodes.ToList())
        {
            if (!weights.TryGetValue(node.Name, out var rounded)) continue;
            var old = node.Input(1);
            var constant = Patterns.Constant(old);
            if (constant is not { ElementType: ElementType.Float } || constant.ElementCount != rounded.Length)
            {
                context.Decline(node, "its weight is not the float constant the rounding was computed for");
                continue;
            }
            if (rounded.Any(x => !float.IsFinite(x)))
            {
                context.Decline(node, "the rounded weight is not finite");
                continue;
            }
            Patterns.ReplaceConstantInput(node, 1, "_rounded", rounded, constant.Dims.ToArray());
            rewrites += context.Step("weight rounded to int8 by GPTQ (the output error on the calibration data, not each weight's own)", node);
        }
        return PassResult.FromRewrites(rewrites);
    }
}
