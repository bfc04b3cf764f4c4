using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// Static INT8 quantization in the standard ONNX form: int8 weights behind DequantizeLinear (per output channel),
/// int32 biases, and a QuantizeLinear→DequantizeLinear pair on each quantized activation with the calibrated range
/// of <see cref="QuantizationSettings.Ranges"/>. Where the pairs go is <see cref="QdqPlanner"/>'s decision.
/// Requires default opset 13 or later (per-channel Q/DQ needs <c>axis</c>); the caller upgrades older models.
/// </summary>
public sealed class StaticQuantization(QuantizationSettings settings) : IPass
{
    public string Name => "quantize-static";

    public string Description => "Inserts int8 QuantizeLinear/DequantizeLinear with calibrated ranges where ONNX Runtime (CPU) or TensorRT fuses them.";

    public PassKind Kind => PassKind.Quantization;

    private bool Cpu => settings.Target == QuantizationTarget.Cpu;

    public PassResult Run(Model model, PassContext context)
    {
        var opset = Patterns.Opset(model);
        if (opset < 13)
            throw new InvalidOperationException($"static quantization needs default opset 13 or later (per-channel DequantizeLinear has 'axis' from 13); the model has opset {opset}: upgrade it first");
        var analysis = QdqPlanner.Analyze(model, settings);
        foreach (var (node, reason) in analysis.LeftInFloat) context.Decline(node, reason);
        var parameters = Parameters(analysis);
        var touched = new List<Value>();
        var rewrites = 0;

        var weightScales = new Dictionary<WeightPlan, float[]>();
        foreach (var w in analysis.Weights) rewrites += QuantizeWeight(w, weightScales, touched, context);
        foreach (var b in analysis.Biases)
        {
            var inputScale = parameters[analysis.ByValue[b.Node.Input(0)!]].Scale;
            rewrites += QuantizeBias(b, inputScale, weightScales[b.Weight], touched, context);
        }
        foreach (var fold in analysis.Folds)
        {
            // Conv → Relu => Conv → Q (zero point 0): the Q clamps at 0 and, for Clip, at the range's max.
            var producerOutput = fold.Clamp.Input(0)!;
            var plan = analysis.ByValue[fold.Clamp.Output()];
            touched.AddRange(fold.Clamp.Inputs.Skip(1).OfType<Value>());
            rewrites += context.Step($"folded into the QuantizeLinear after {PassDiagnostics.Describe(fold.Producer)}", fold.Clamp);
            Patterns.Bypass(fold.Clamp, producerOutput);
            plan.Value = producerOutput;
        }
        foreach (var plan in analysis.Activations)
        {
            if (plan.Constant is { } constant) rewrites += QuantizeConstant(plan, constant, parameters[plan], touched, context);
            else rewrites += InsertQdq(plan, parameters[plan], context);
        }
        RemoveUnused(touched);
        return PassResult.FromRewrites(rewrites);
    }

    /// <summary>The quantization parameters of every planned tensor: one per range group (shared-scale ops, Concat).</summary>
    private Dictionary<ActivationPlan, QuantParams> Parameters(QdqAnalysis analysis)
    {
        var ranges = settings.Ranges ?? new Dictionary<string, ValueRange>();
        var missing = analysis.Activations.Where(a => a.Constant is null && !ranges.ContainsKey(a.RangeName)).Select(a => a.RangeName).Distinct().ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"no calibrated range for {missing.Count} tensor(s) the plan needs: {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", …" : "")}");
        var result = new Dictionary<ActivationPlan, QuantParams>();
        foreach (var group in analysis.Activations.GroupBy(a => analysis.Root(a.Value)))
        {
            float min = 0, max = 0;
            foreach (var a in group)
            {
                var r = a.Constant is { } t ? RangeOf(t) : SaturatingConsumers.Narrow(a.Value, ranges[a.RangeName]);
                (min, max) = (Math.Min(min, r.Min), Math.Max(max, r.Max));
            }
            if (analysis.ClampOf(group.Key) is { } clampMax)
                (min, max) = (0f, Math.Min(max, clampMax));
            var p = Cpu ? QuantParams.AsymmetricUInt8(min, max) : QuantParams.SymmetricInt8(min, max);
            foreach (var a in group) result[a] = p;
        }
        return result;
    }

    private static ValueRange RangeOf(Tensor t)
    {
        var values = t.ToDoubles();
        return values.Length == 0 ? new ValueRange(0, 0) : new ValueRange((float)values.Min(), (float)values.Max());
    }

    // W (float) => DequantizeLinear(W_quantized int8, scale[C], zero_point int8[C], axis)
    private static int QuantizeWeight(WeightPlan plan, Dictionary<WeightPlan, float[]> scales, List<Value> touched, PassContext context)
    {
        var node = plan.Node;
        var w = node.Input(plan.Input)!;
        var t = Patterns.Constant(w)!;
        var dims = t.Dims.ToArray();
        var q = WeightQuantizer.Quantize(t.ToArray<float>(), dims, plan.Axis);
        scales[plan] = q.Scales;
        var graph = node.Graph!;
        var values = Patterns.AddInitializer(graph, w.Name + "_quantized", q.Values, dims);
        var scaleDims = plan.Axis >= 0 ? new[] { (long)q.Scales.Length } : [];
        var scale = Patterns.AddInitializer(graph, w.Name + "_scale", q.Scales, scaleDims);
        var zero = Patterns.AddInitializer(graph, w.Name + "_zero_point", new sbyte[q.Scales.Length], scaleDims);
        var dq = Patterns.InsertBefore(node, "DequantizeLinear", [values, scale, zero], w.Name + "_dequantized",
            plan.Axis >= 0 ? [Attribute.FromInt("axis", plan.Axis)] : null);
        dq.Output().Type = new TensorTypeInfo(ElementType.Float, new Shape(dims));
        touched.Add(w);
        node.SetInput(plan.Input, dq.Output());
        return context.Step($"weight '{w.Name}' stored as int8 " + (plan.Axis >= 0 ? $"with one scale per channel (axis {plan.Axis})" : "with one scale"), node);
    }

    // B (float) => DequantizeLinear(B_quantized int32, input scale × weight scale[C], 0, axis 0): QLinearConv's and QGemm's bias.
    private static int QuantizeBias(BiasPlan plan, float inputScale, float[] weightScales, List<Value> touched, PassContext context)
    {
        var node = plan.Node;
        var b = node.Input(plan.Input)!;
        var (values, scales) = WeightQuantizer.QuantizeBias(Patterns.Constant(b)!.ToArray<float>(), inputScale, weightScales);
        var graph = node.Graph!;
        var n = (long)values.Length;
        var q = Patterns.AddInitializer(graph, b.Name + "_quantized", values, n);
        var scale = Patterns.AddInitializer(graph, b.Name + "_scale", scales, n);
        var zero = Patterns.AddInitializer(graph, b.Name + "_zero_point", new int[values.Length], n);
        var dq = Patterns.InsertBefore(node, "DequantizeLinear", [q, scale, zero], b.Name + "_dequantized", [Attribute.FromInt("axis", 0)]);
        dq.Output().Type = new TensorTypeInfo(ElementType.Float, new Shape(n));
        touched.Add(b);
        node.SetInput(plan.Input, dq.Output());
        return context.Step($"bias '{b.Name}' stored as int32 with scale = input scale × weight scale", node);
    }

    // x => DequantizeLinear(QuantizeLinear(x, s, z), s, z), one pair per tensor shared by its quantized consumers.
    private int InsertQdq(ActivationPlan plan, QuantParams p, PassContext context)
    {
        var v = plan.Value;
        var graph = v.Graph!;
        var (scale, zero) = ScaleAndZero(graph, v.Name, p);
        var qType = Cpu ? ElementType.UInt8 : ElementType.Int8;
        var q = new Node("QuantizeLinear", [v, scale, zero], [graph.UniqueValueName(v.Name + "_quantized")], name: graph.UniqueNodeName("QuantizeLinear_" + v.Name));
        var dq = new Node("DequantizeLinear", [q.Output(), scale, zero], [graph.UniqueValueName(v.Name + "_dequantized")], name: graph.UniqueNodeName("DequantizeLinear_" + v.Name));
        q.Output().Type = new TensorTypeInfo(qType, v.Shape);
        dq.Output().Type = v.Type;
        if (v.Producer is { } producer) graph.InsertAfter(producer, q);
        else if (graph.Nodes.Count > 0) graph.InsertBefore(graph.Nodes[0], q);
        else graph.Append(q);
        graph.InsertAfter(q, dq);
        if (plan.AllUses)
        {
            // The producer runs quantized, so nothing may read its float output: every consumer reads the DQ, and a
            // graph output becomes the DQ's output under the same name (still float).
            v.ReplaceAllUsesWith(dq.Output());
            q.SetInput(0, v);
        }
        else
            foreach (var (node, input) in plan.Consumers) node.SetInput(input, dq.Output());
        return context.Step($"'{plan.RangeName}' quantized to {qType.ToString().ToLowerInvariant()} (scale {p.Scale:G6}, zero point {p.ZeroPoint})", q);
    }

    // A constant input of a quantized Add/Mul/Concat is quantized now: int initializer => DequantizeLinear.
    private int QuantizeConstant(ActivationPlan plan, Tensor constant, QuantParams p, List<Value> touched, PassContext context)
    {
        var rewrites = 0;
        var floats = constant.ToArray<float>();
        var dims = constant.Dims.ToArray();
        foreach (var inGraph in plan.Consumers.GroupBy(c => c.Node.Graph!))
        {
            var graph = inGraph.Key;
            var first = inGraph.First().Node;
            var name = plan.Value.Name;
            var values = Cpu
                ? Patterns.AddInitializer(graph, name + "_quantized", WeightQuantizer.QuantizeUInt8(floats, p), dims)
                : Patterns.AddInitializer(graph, name + "_quantized", floats.Select(f => (sbyte)Math.Clamp(Math.Round(f / p.Scale, MidpointRounding.ToEven), -128, 127)).ToArray(), dims);
            var (scale, zero) = ScaleAndZero(graph, name, p);
            var dq = Patterns.InsertBefore(first, "DequantizeLinear", [values, scale, zero], name + "_dequantized");
            dq.Output().Type = new TensorTypeInfo(ElementType.Float, new Shape(dims));
            foreach (var (node, input) in inGraph) node.SetInput(input, dq.Output());
            rewrites += context.Step($"constant '{name}' stored quantized (scale {p.Scale:G6}, zero point {p.ZeroPoint})", first);
        }
        touched.Add(plan.Value);
        return rewrites;
    }

    private (Value Scale, Value Zero) ScaleAndZero(Graph graph, string name, QuantParams p) => QdqParameters.Add(graph, name, p, unsigned: Cpu);

    /// <summary>Removes the float weights, biases and constants nothing reads any more.</summary>
    private static void RemoveUnused(IEnumerable<Value> values)
    {
        foreach (var v in values.Distinct())
        {
            if (v.Uses.Count > 0 || v.IsGraphOutput || v.IsGraphInput) continue;
            if (v.IsInitializer && v.Graph is { } g) g.RemoveInitializer(v);
            else if (v.Producer is { IsConstantNode: true } c) Patterns.RemoveIfUnused(c);
        }
    }
}
