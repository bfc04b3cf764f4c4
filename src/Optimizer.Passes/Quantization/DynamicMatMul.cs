using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// MatMul (or Gemm) of a float activation by a constant weight, rewritten in the standard-ONNX form ONNX Runtime's
/// CPU provider fuses into its fast kernels (MatMulIntegerToFloatFusion, then DynamicQuantizeMatMulFusion):
/// <code>
/// (aq, as, az) = DynamicQuantizeLinear(a)
/// y = Mul(Cast(MatMulInteger(aq, wq, az), float), Mul(as, ws))   [+ Add(y, bias)]
/// </code>
/// What the fusions need, read in onnxruntime/core/optimizer/matmul_integer_to_float.cc and
/// dynamic_quantize_matmul_fusion.cc: the outer Mul has the Cast and the scale Mul as parents, each used once, and the
/// scale Mul reads (A scale, B scale) in that order; a bias is fused only when it is input 1 of the Add, a constant
/// initializer, 1-D (or [1,...,1,N]) with N &gt; 1; DynamicQuantizeMatMul further needs the DynamicQuantizeLinear to
/// feed this one MatMul (exactly three edges). The kernels take a per-column B scale of shape [N] for a 2-D B
/// (IsBQuantParamSupported), so per-column weights fuse too. The B zero point is left out (0 for symmetric int8).
/// </summary>
internal sealed class DynamicMatMul(QuantizationSettings settings)
{
    /// <summary>
    /// A matched MatMul/Gemm: <paramref name="Weights"/> are already laid out [K, N] (Gemm's transB undone, alpha folded
    /// in). <paramref name="BiasAdd"/> is a following Add of a constant bias (MatMul); <paramref name="Bias"/> is Gemm's C,
    /// either a constant (<paramref name="BiasData"/>, beta folded in, shape <paramref name="BiasDims"/>) or a value.
    /// </summary>
    public sealed record Match(Node Node, Value Input, Value Weight, float[] Weights, long K, long N,
        Node? BiasAdd, Value? Bias, float[]? BiasData, long[]? BiasDims);

    public MatchResult<Match> Check(Node node)
    {
        if (settings.IsExcluded(node)) return new Fail("excluded from quantization (--exclude, or kept in float)");
        var a = node.Input(0);
        var b = node.Input(1);
        if (a is null || b is null) return MatchResult<Match>.NoMatch;
        if (b.IsOverridable) return new Fail($"the weight '{b.Name}' is a graph input a caller may override; it is not quantized");
        if (Patterns.Constant(b) is not { } w)
            return new Fail("the second operand is not a constant (activation x activation MatMul stays float)");
        if (w.ElementType != ElementType.Float) return new Fail($"the weight is {w.ElementType}, not float");
        if (a.ElementType is not (ElementType.Float or ElementType.Undefined)) return new Fail($"the activation is {a.ElementType}; DynamicQuantizeLinear takes float");
        if (w.Dims.Count != 2) return new Fail($"the weight has rank {w.Dims.Count}; only 2-D weights [K,N] are quantized (per-column scales need a 2-D B)");
        var data = w.ToArray<float>();
        return node.OpType == "Gemm" ? CheckGemm(node, a, b, data, w.Dims[0], w.Dims[1]) : CheckMatMul(node, a, b, data, w.Dims[0], w.Dims[1]);
    }

    private static Match CheckMatMul(Node node, Value a, Value b, float[] data, long k, long n)
    {
        var output = node.Output();
        if (Patterns.SoleConsumer(output, "Add") is { } add && add.Graph == node.Graph)
        {
            var bias = add.Input(0) == output ? add.Input(1) : add.Input(0);
            if (Patterns.Constant(bias) is { ElementType: ElementType.Float } t && IsColumnBias(t.Dims, n))
                return new Match(node, a, b, data, k, n, add, bias, null, null);
        }
        return new Match(node, a, b, data, k, n, null, null, null, null);
    }

    private static MatchResult<Match> CheckGemm(Node gemm, Value a, Value b, float[] data, long rows, long cols)
    {
        if (gemm.GetInt("transA", 0) != 0) return new Fail("transA=1 would need a Transpose of the activation; left float");
        var transB = gemm.GetInt("transB", 0) != 0;
        var alpha = gemm.GetFloat("alpha", 1f);
        var beta = gemm.GetFloat("beta", 1f);
        var (k, n) = transB ? (cols, rows) : (rows, cols);
        var weights = new float[data.Length];
        for (var r = 0; r < k; r++)
            for (var c = 0; c < n; c++)
                weights[r * n + c] = alpha * (transB ? data[c * k + r] : data[r * n + c]);
        if (gemm.Input(2) is not { } c0) return new Match(gemm, a, b, weights, k, n, null, null, null, null);
        if (Patterns.Constant(c0) is not { } ct)
        {
            if (beta != 1f) return new Fail($"the bias is not a constant and beta={beta}; left float");
            return new Match(gemm, a, b, weights, k, n, null, c0, null, null);
        }
        if (ct.ElementType != ElementType.Float) return new Fail($"the bias is {ct.ElementType}, not float");
        var bias = ct.ToArray<float>().Select(v => v * beta).ToArray();
        var dims = ct.Dims.ToArray();
        // A single value is spread over the N columns so the bias Add fuses (ONNX Runtime wants a [N] bias, N > 1).
        if (bias.Length == 1) return new Match(gemm, a, b, weights, k, n, null, c0, Enumerable.Repeat(bias[0], (int)n).ToArray(), [n]);
        if (IsColumnBias(dims, n)) return new Match(gemm, a, b, weights, k, n, null, c0, bias, [n]);
        if (dims is [_, var d] && d == n || dims is [_, 1]) return new Match(gemm, a, b, weights, k, n, null, c0, bias, dims);
        return new Fail($"the bias of shape [{string.Join(",", dims)}] does not broadcast to [M,{n}]");
    }

    /// <summary>A bias ONNX Runtime fuses into MatMulIntegerToFloat: [N] or [1,...,1,N] with N &gt; 1.</summary>
    private static bool IsColumnBias(IReadOnlyList<long> dims, long n) =>
        dims.Count >= 1 && dims[^1] == n && n > 1 && dims.Take(dims.Count - 1).All(d => d == 1);

    // y = MatMul(a, w) [; z = Add(bias, y)]
    //   => (aq, as, az) = DynamicQuantizeLinear(a); p = MatMulInteger(aq, wq, az); s = Mul(as, ws);
    //      y = Mul(Cast(p, float), s) [; z = Add(y, bias)]
    // z = Gemm(a, w, c, alpha, beta, transB) => the same with wq = quantize(alpha * w laid out [K,N]), bias = beta * c
    public void Rewrite(Match m, DynamicActivations activations, PassContext context)
    {
        var node = m.Node;
        var graph = node.Graph!;
        var output = node.Output();
        var hint = output.Name;
        var q = WeightQuantizer.Quantize(m.Weights, [m.K, m.N], settings.PerTensorWeights ? -1 : 1);
        context.Step($"quantized dynamically: int8 weight [{m.K},{m.N}] with {(q.PerChannel ? $"{m.N} column scales" : "one scale")}, activation quantized at run time", node);

        var (aq, aScale, aZero) = activations.Quantize(m.Input, node);
        var wq = Patterns.AddInitializer(graph, m.Weight.Name + "_quantized", q.Values, m.K, m.N);
        var ws = q.PerChannel
            ? Patterns.AddInitializer(graph, m.Weight.Name + "_scale", q.Scales, m.N)
            : Patterns.AddInitializer(graph, m.Weight.Name + "_scale", q.Scales);
        var shape = output.Shape;
        var product = Patterns.InsertBefore(node, "MatMulInteger", [aq, wq, aZero], hint + "_int32").Output();
        product.Type = new TensorTypeInfo(ElementType.Int32, shape);
        var cast = Patterns.InsertBefore(node, "Cast", [product], hint + "_float", [Attribute.FromInt("to", (long)ElementType.Float)]).Output();
        cast.Type = new TensorTypeInfo(ElementType.Float, shape);
        var scale = Patterns.InsertBefore(node, "Mul", [aScale, ws], hint + "_scale").Output();
        scale.Type = new TensorTypeInfo(ElementType.Float, q.PerChannel ? new Shape(m.N) : Shape.Scalar);
        var result = Patterns.InsertBefore(node, "Mul", [cast, scale], hint + "_dequantized").Output();
        result.Type = output.Type;

        if (m.Bias is not null && m.BiasAdd is null)
        {
            var bias = m.BiasData is null ? m.Bias : Patterns.AddInitializer(graph, m.Bias.Name + "_bias", m.BiasData, m.BiasDims!);
            result = Patterns.InsertBefore(node, "Add", [result, bias], hint + "_biased").Output();
            result.Type = output.Type;
        }
        Patterns.Replace(output, result);
        graph.RemoveNode(node);
        if (m.BiasAdd is { } add)
        {
            // The bias goes second: the only order ONNX Runtime's fusion looks at.
            add.SetInput(0, result);
            add.SetInput(1, m.Bias);
        }
        RemoveIfUnused(m.Weight);
        if (m.Bias is not null && m.BiasData is not null) RemoveIfUnused(m.Bias);
    }

    /// <summary>Removes a float weight nothing reads any more (an initializer, or a Constant node's output).</summary>
    internal static void RemoveIfUnused(Value value)
    {
        if (value.Uses.Count > 0 || value.IsGraphOutput || value.IsGraphInput) return;
        if (value.IsInitializer) value.Graph!.RemoveInitializer(value);
        else if (value.Producer is { IsConstantNode: true } constant) Patterns.RemoveIfUnused(constant);
    }
}
