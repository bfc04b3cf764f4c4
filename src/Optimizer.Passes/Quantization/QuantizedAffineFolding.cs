using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// Integer rewrites of a uint8 Q/DQ graph (the CPU target) that spare ONNX Runtime whole kernels, each reading the
/// same quantized integers a different way:
/// <list type="bullet">
/// <item>A Mul by a positive scalar or an Add of a scalar between a DequantizeLinear and the next QuantizeLinear
/// (PP-LCNet's learnable affine blocks, a normalisation's scale and shift) is an affine map of the integers: the
/// consumers read the first tensor's integers through a DequantizeLinear with scale a·s (Mul) or zero point
/// z − round(b/s) (Add), and the QLinearMul/QLinearAdd and one rounding disappear. The Add's shift is rounded to a
/// step of the grid, within the rounding the removed QuantizeLinear added anyway.</item>
/// <item>HardSigmoid(x) = clip(αx + β, 0, 1) quantized with zero point 0 and a grid that ends at or below 1 is, integer
/// for integer, x + β/α quantized with scale s/α: uint8 saturation does the clipping. ONNX Runtime has no integer
/// HardSigmoid (it dequantizes, runs it in float and quantizes again); it fuses the Add into a QLinearAdd.</item>
/// </list>
/// Only uint8 activations with scalar scales and zero points are touched; graph outputs keep their names and values.
/// </summary>
public sealed class QuantizedAffineFolding : IPass
{
    public string Name => "fold-quantized-affine";

    public string Description => "Folds scalar Mul/Add between Q/DQ pairs into the DequantizeLinear's scale and zero point, and turns a quantized HardSigmoid into a saturating quantized Add (uint8 CPU form).";

    public PassKind Kind => PassKind.Quantization;

    public bool RepeatToFixedPoint => true;

    public PassResult Run(Model model, PassContext context)
    {
        var rewrites = 0;
        foreach (var node in model.Graph.AllNodes().ToList())
        {
            if (node.Graph is null || !node.IsDefaultDomain) continue;
            rewrites += node.OpType switch
            {
                "Mul" or "Add" => FoldAffine(node, context),
                "HardSigmoid" => HardSigmoidAsAdd(node, context),
                _ => 0,
            };
        }
        return PassResult.FromRewrites(rewrites);
    }

    // DQ(q, s, z) → Mul(a) | Add(b) → Q(s2, z2) → DQ(s2, z2) → consumers  =>  DQ(q, s', z') → consumers
    private static int FoldAffine(Node node, PassContext context)
    {
        if (node.Inputs.Count != 2) return 0;
        for (var k = 0; k < 2; k++)
        {
            if (ScalarConstantBehindDq(node.Input(k)) is not { } c || ActivationDq(node.Input(1 - k), node) is not { } dq) continue;
            var (s, z) = ((float)Scalar(dq.Input(1))!, (int)Scalar(dq.Input(2))!);
            var rank = Patterns.Rank(node.Input(1 - k));
            if (Patterns.Rank(node.Input(k)) is not { } constantRank || constantRank > (rank ?? 1)) return 0;
            float newScale;
            int newZero;
            if (node.OpType == "Mul")
            {
                if (!(c > 0) || !float.IsFinite(c * s) || c * s < QuantParams.MinScale) return 0;
                (newScale, newZero) = (c * s, z);
            }
            else
            {
                var shift = Math.Round(c / s, MidpointRounding.ToEven);
                if (!double.IsFinite(shift) || z - shift < 0 || z - shift > 255) return 0;
                (newScale, newZero) = (s, z - (int)shift);
            }
            if (RequantizedOutputs(node) is not { } requantized) return 0;
            var (q2, dq2s) = requantized;
            var graph = node.Graph!;
            var (scale, zero) = QdqParameters.Add(graph, dq.Input(0)!.Name, new QuantParams(newScale, newZero));
            var folded = Patterns.InsertBefore(node, "DequantizeLinear", [dq.Input(0), scale, zero], dq.Input(0)!.Name + "_dequantized");
            folded.Output().Type = node.Output().Type ?? dq.Output().Type;
            foreach (var d in dq2s) Patterns.Replace(d.Output(), folded.Output());
            var constantDq = node.Input(k)!.Producer!;
            RemoveChain([.. dq2s, q2, node, constantDq, dq]);
            RequantizeBiases(folded.Output(), newScale);
            return context.Step($"{node.OpType} by the constant {c:G6} folded into the DequantizeLinear of '{dq.Input(0)!.Name}' (scale {newScale:G6}, zero point {newZero})", folded);
        }
        return 0;
    }

    // DQ(q, s, z) → HardSigmoid(α, β) → Q(sg, 0)  =>  DQ(q, s, z) → Add(β/α) → Q(sg/α, 0)
    private static int HardSigmoidAsAdd(Node node, PassContext context)
    {
        var alpha = node.GetFloat("alpha", 0.2f);
        var beta = node.GetFloat("beta", 0.5f);
        if (!(alpha > 0) || !float.IsFinite(beta) || ActivationDq(node.Input(0), node) is not { } dq) return 0;
        if (Patterns.SoleConsumer(node.Output(), "QuantizeLinear") is not { } q || !IsScalarUInt8(q) || node.Output().Uses[0].InputIndex != 0) return 0;
        var (scale, zero) = ((float)Scalar(q.Input(1))!, (int)Scalar(q.Input(2))!);
        // Exact only when saturation at 0 and 255 is the clip at 0 and 1: zero point 0 and a grid ending at or below 1.
        if (zero != 0 || scale * 255f > 1f + 1e-6f) return 0;
        var graph = node.Graph!;
        var shift = beta / alpha;
        Value x = dq.Output();
        if (shift != 0)
        {
            // The shift as a uint8 constant, exactly: 1 step of |shift| above or below its zero point.
            var (cq, cz) = shift > 0 ? ((byte)1, 0) : ((byte)0, 1);
            var values = graph.AddInitializer(Tensor.Scalar(graph.UniqueValueName(node.Output().Name + "_shift_quantized"), cq));
            var (cs, cz0) = QdqParameters.Add(graph, node.Output().Name + "_shift", new QuantParams(Math.Abs(shift), cz));
            var constant = Patterns.InsertBefore(node, "DequantizeLinear", [values, cs, cz0], node.Output().Name + "_shift");
            constant.Output().Type = new TensorTypeInfo(ElementType.Float, new Shape(Array.Empty<long>()));
            var add = Patterns.InsertBefore(node, "Add", [dq.Output(), constant.Output()], node.Output().Name + "_shifted");
            add.Output().Type = node.Output().Type;
            x = add.Output();
        }
        var newScale = graph.AddInitializer(Tensor.Scalar(graph.UniqueValueName(node.Output().Name + "_scale"), scale / alpha));
        q.SetInput(0, x);
        q.SetInput(1, newScale);
        graph.RemoveNode(node);
        return context.Step($"HardSigmoid(alpha {alpha:G6}, beta {beta:G6}) computed as a saturating quantized Add of {shift:G6}", q);
    }

    /// <summary>
    /// A Conv or Gemm that now reads <paramref name="input"/> (scale <paramref name="inputScale"/>) kept an int32 bias
    /// quantized with the removed tensor's scale × its weight scales; ONNX Runtime fuses DequantizeLinear → Conv into a
    /// QLinearConv (a QGemm) only when the bias scale is the input's × the weight's, and that removed scale is a·s only
    /// when the calibrated range of a·x was a times that of x (min/max, not an entropy or auto range). The bias is
    /// stored again with the new scales: the same float values, rounded to the new step.
    /// </summary>
    private static void RequantizeBiases(Value input, float inputScale)
    {
        foreach (var use in input.Uses.ToList())
        {
            if (use is not { Node: { OpType: "Conv" or "Gemm", IsDefaultDomain: true } layer, InputIndex: 0 } || layer.Inputs.Count < 3) continue;
            if (layer.Input(2)?.Producer is not { OpType: "DequantizeLinear", IsDefaultDomain: true } biasDq || biasDq.Output().Uses.Count != 1) continue;
            if (layer.Input(1)?.Producer is not { OpType: "DequantizeLinear", IsDefaultDomain: true } weightDq) continue;
            if (Patterns.Constant(biasDq.Input(0)) is not { ElementType: ElementType.Int32 } ints || Patterns.Constant(biasDq.Input(1)) is not { ElementType: ElementType.Float } oldScales
                || Patterns.Constant(weightDq.Input(1)) is not { ElementType: ElementType.Float } weightScales)
                continue;
            var values = ints.ToArray<int>();
            var (old, weights) = (oldScales.ToArray<float>(), weightScales.ToArray<float>());
            if ((old.Length != 1 && old.Length != values.Length) || (weights.Length != 1 && weights.Length != values.Length)) continue;
            var floats = values.Select((v, i) => v * (double)old[old.Length == 1 ? 0 : i]).Select(f => (float)f).ToArray();
            var (requantized, scales) = WeightQuantizer.QuantizeBias(floats, inputScale, weights);
            var graph = biasDq.Graph!;
            var (oldValues, oldScale) = (biasDq.Input(0)!, biasDq.Input(1)!);
            biasDq.SetInput(0, graph.AddInitializer(Tensor.FromArray(graph.UniqueValueName(oldValues.Name + "_requantized"), requantized, [.. ints.Dims])));
            biasDq.SetInput(1, graph.AddInitializer(Tensor.FromArray(graph.UniqueValueName(oldScale.Name + "_requantized"), scales, [.. ints.Dims])));
            foreach (var v in new[] { oldValues, oldScale })
                if (v.IsInitializer && v.Uses.Count == 0 && !v.IsGraphOutput && !v.IsGraphInput) graph.RemoveInitializer(v);
        }
    }

    /// <summary>The DequantizeLinear producing <paramref name="value"/> from a quantized activation (not a constant), uint8 with scalar parameters.</summary>
    private static Node? ActivationDq(Value? value, Node site) =>
        Patterns.ProducerOf(value, "DequantizeLinear", site) is { } dq && dq.Input(0) is { } q && Patterns.Constant(q) is null && IsScalarUInt8(dq) ? dq : null;

    /// <summary>The value of a one-element constant stored quantized behind a DequantizeLinear (how static quantization stores an Add/Mul constant).</summary>
    private static float? ScalarConstantBehindDq(Value? value)
    {
        if (value?.Producer is not { OpType: "DequantizeLinear", IsDefaultDomain: true } dq || !IsScalarUInt8(dq)) return null;
        if (Patterns.Constant(dq.Input(0)) is not { ElementCount: 1 } t) return null;
        return (float)((t.ToDoubles()[0] - (double)Scalar(dq.Input(2))!) * (double)Scalar(dq.Input(1))!);
    }

    private static bool IsScalarUInt8(Node qOrDq) =>
        Patterns.Constant(qOrDq.Input(1)) is { ElementCount: 1, ElementType: ElementType.Float }
        && Patterns.Constant(qOrDq.Input(2)) is { ElementCount: 1, ElementType: ElementType.UInt8 };

    private static double? Scalar(Value? value) => Patterns.Constant(value) is { ElementCount: 1 } t ? t.ToDoubles()[0] : null;

    /// <summary>
    /// The QuantizeLinear that alone reads <paramref name="node"/>'s output and the DequantizeLinears that alone read
    /// it with its own scale and zero point (none a graph output), or null when the output goes anywhere else.
    /// </summary>
    private static (Node Q, List<Node> Dqs)? RequantizedOutputs(Node node)
    {
        if (Patterns.SoleConsumer(node.Output(), "QuantizeLinear") is not { } q || node.Output().Uses[0].InputIndex != 0 || !IsScalarUInt8(q)) return null;
        var y = q.Output();
        if (y.IsGraphOutput || y.Uses.Count == 0) return null;
        var dqs = new List<Node>();
        foreach (var use in y.Uses)
        {
            if (use.Node is not { OpType: "DequantizeLinear", IsDefaultDomain: true } d || use.InputIndex != 0 || d.Output().IsGraphOutput || d.Graph != node.Graph) return null;
            // Only a DequantizeLinear that reads the integers as the QuantizeLinear wrote them: one that reinterprets
            // them (a saturating HardSigmoid's) relies on the clipping the fold would drop.
            if (Scalar(d.Input(1)) != Scalar(q.Input(1)) || Scalar(d.Input(2)) != Scalar(q.Input(2))) return null;
            dqs.Add(d);
        }
        return (q, dqs);
    }

    /// <summary>Removes the nodes nothing reads any more (consumers first) and the scale, zero-point and constant initializers they alone read.</summary>
    private static void RemoveChain(IEnumerable<Node> consumersFirst)
    {
        foreach (var node in consumersFirst.Distinct())
        {
            if (node.Graph is not { } graph || node.Outputs.Any(o => o is not null && (o.Uses.Count > 0 || o.IsGraphOutput))) continue;
            var inputs = node.Inputs.OfType<Value>().ToList();
            graph.RemoveNode(node);
            foreach (var v in inputs)
                if (v.IsInitializer && v.Uses.Count == 0 && !v.IsGraphOutput && !v.IsGraphInput && v.Graph is { } g) g.RemoveInitializer(v);
        }
    }
}
