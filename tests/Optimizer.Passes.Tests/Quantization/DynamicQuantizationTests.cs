using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Quantization;

public class DynamicQuantizationTests
{
    private static readonly QuantizationSettings Default = new();

    private static GraphBuilder MatMulWithBias(out Value x)
    {
        var b = new GraphBuilder();
        x = b.Input("x", ElementType.Float, 2, 5, 32);
        // The exporters' order: bias first. The pass puts it second, where ONNX Runtime's fusion looks.
        var y = b.Op("Add", [b.RandomInitializer("bias", 0.5f, 16), b.Op("MatMul", [x, b.RandomInitializer("w", 1f, 32, 16)])]);
        b.Output(b.Op("Relu", [y]));
        return b;
    }

    [Fact]
    public void MatMulWithConstantWeightBecomesTheIntegerFormWithPerColumnScales()
    {
        var b = MatMulWithBias(out var x);
        var run = PassHarness.Run(b.Model, new DynamicQuantization(Default));
        Assert.Equal("DynamicQuantizeLinear,MatMulInteger,Cast,Mul,Mul,Add,Relu", run.Ops);
        var matMulInteger = b.Graph.Nodes.Single(n => n.OpType == "MatMulInteger");
        Assert.Same(b.Graph.Nodes[0].Output(0), matMulInteger.Input(0));
        Assert.Equal(ElementType.Int8, matMulInteger.Input(1)!.Initializer!.ElementType);
        Assert.Equal([32L, 16], matMulInteger.Input(1)!.Initializer!.Dims);
        var scales = b.Graph.Nodes.First(n => n.OpType == "Mul");
        Assert.Same(b.Graph.Nodes[0].Output(1), scales.Input(0));
        Assert.Equal([16L], scales.Input(1)!.Initializer!.Dims);
        var add = b.Graph.Nodes.Single(n => n.OpType == "Add");
        Assert.NotNull(add.Input(1)!.Initializer);
        Assert.DoesNotContain(b.Graph.Initializers, v => v.Name == "w");
        Assert.InRange(run.MaxRelativeError(), 0, 0.02);
        Assert.InRange(Cosine(run, x), 0.9999, 1);
    }

    [Fact]
    public void PerTensorWeightsHaveOneScale()
    {
        var b = MatMulWithBias(out var x);
        var run = PassHarness.Run(b.Model, new DynamicQuantization(new QuantizationSettings { PerTensorWeights = true }));
        var scales = b.Graph.Nodes.First(n => n.OpType == "Mul");
        Assert.Empty(scales.Input(1)!.Initializer!.Dims);
        Assert.InRange(Cosine(run, x), 0.999, 1);
    }

    [Fact]
    public void GemmWithTransposedWeightBecomesMatMulIntegerOnTheTransposedWeight()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 4, 24);
        b.Output(b.Op("Gemm", [x, b.RandomInitializer("w", 1f, 10, 24), b.RandomInitializer("c", 1f, 10)],
            ("transB", 1), ("alpha", 0.5f), ("beta", 2f)));
        var run = PassHarness.Run(b.Model, new DynamicQuantization(Default));
        Assert.Equal("DynamicQuantizeLinear,MatMulInteger,Cast,Mul,Mul,Add", run.Ops);
        Assert.Equal([24L, 10], b.Graph.Nodes[1].Input(1)!.Initializer!.Dims);
        Assert.Equal("gemm1", b.Graph.Outputs[0].Name);
        Assert.InRange(Cosine(run, x), 0.9999, 1);
    }

    [Fact]
    public void GemmWithTransposedActivationIsDeclined()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 24, 4);
        b.Output(b.Op("Gemm", [x, b.RandomInitializer("w", 1f, 24, 10)], ("transA", 1)));
        var run = PassHarness.Run(b.Model, new DynamicQuantization(Default));
        Assert.Equal("Gemm", run.Ops);
        run.AssertDeclined("transA=1");
    }

    [Fact]
    public void EmbeddingTableIsStoredInt8WithRowScales()
    {
        var b = new GraphBuilder();
        var ids = b.Input("ids", ElementType.Int64, 2, 7);
        b.Output(b.Op("Gather", [b.RandomInitializer("table", 1f, 4096, 64), ids]));
        var run = PassHarness.Run(b.Model, new DynamicQuantization(Default));
        Assert.Equal("Gather,Gather,Cast,Mul", run.Ops);
        Assert.Equal(ElementType.Int8, b.Graph.Nodes[0].Input(0)!.Initializer!.ElementType);
        Assert.Equal([4096L, 1], b.Graph.Nodes[1].Input(0)!.Initializer!.Dims);
        Assert.DoesNotContain(b.Graph.Initializers, v => v.Name == "table");
        // Each row keeps 1/254 of its largest magnitude.
        Assert.InRange(run.MaxRelativeError(), 1e-5, 1.0 / 254 + 1e-6);
    }

    [Fact]
    public void PerTensorTableIsDequantizedAfterTheLookup()
    {
        var b = new GraphBuilder();
        var ids = b.Input("ids", ElementType.Int64, 3);
        b.Output(b.Op("Gather", [b.RandomInitializer("table", 1f, 4096, 64), ids]));
        var run = PassHarness.Run(b.Model, new DynamicQuantization(new QuantizationSettings { PerTensorWeights = true }));
        Assert.Equal("Gather,DequantizeLinear", run.Ops);
        // One scale for the table: the error bound is the table's largest magnitude / 254, not the rows picked.
        Assert.InRange(run.MaxRelativeError(), 1e-5, 0.01);
    }

    [Fact]
    public void ActivationTimesActivationMatMulStaysFloat()
    {
        var b = new GraphBuilder();
        var q = b.Input("q", ElementType.Float, 2, 8, 16);
        var k = b.Input("k", ElementType.Float, 2, 16, 8);
        b.Output(b.Op("MatMul", [q, k]));
        var run = PassHarness.Run(b.Model, new DynamicQuantization(Default));
        Assert.Equal("MatMul", run.Ops);
        Assert.False(run.Records[0].Changed);
        run.AssertDeclined("not a constant");
    }

    [Fact]
    public void ExcludedNodesStayFloat()
    {
        var b = MatMulWithBias(out _);
        var matMul = b.Graph.Nodes.Single(n => n.OpType == "MatMul");
        var byName = PassHarness.Run(b.Model, new DynamicQuantization(new QuantizationSettings { Exclude = new HashSet<string> { matMul.Name } }));
        Assert.Equal("MatMul,Add,Relu", byName.Ops);
        byName.AssertDeclined("excluded");
        var keptFloat = PassHarness.Run(b.Model, new DynamicQuantization(new QuantizationSettings { KeepFloat = new HashSet<string> { matMul.Name } }));
        Assert.Equal("MatMul,Add,Relu", keptFloat.Ops);
        var byType = PassHarness.Run(b.Model, new DynamicQuantization(new QuantizationSettings { Exclude = new HashSet<string> { "MatMul" } }));
        Assert.Equal("MatMul,Add,Relu", byType.Ops);
        byType.AssertDeclined("excluded");
    }

    [Fact]
    public void OverridableWeightIsDeclined()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 3, 8);
        var w = b.RandomInitializer("w", 1f, 8, 4);
        b.Graph.AddInputValue(w);
        var table = b.RandomInitializer("table", 1f, 5, 4);
        b.Graph.AddInputValue(table);
        b.Output(b.Op("MatMul", [x, w]), b.Op("Gather", [table, b.Input("ids", ElementType.Int64, 2)]));
        var run = PassHarness.Run(b.Model, new DynamicQuantization(Default));
        Assert.Equal("MatMul,Gather", run.Ops);
        run.AssertDeclined("the weight 'w' is a graph input a caller may override");
        run.AssertDeclined("the table 'table' is a graph input a caller may override");
    }

    [Fact]
    public void SmallTableStaysFloat()
    {
        var b = new GraphBuilder();
        b.Output(b.Op("Gather", [b.RandomInitializer("token_types", 1f, 2, 384), b.Input("ids", ElementType.Int64, 1, 9)]));
        var run = PassHarness.Run(b.Model, new DynamicQuantization(Default));
        Assert.Equal("Gather", run.Ops);
        run.AssertDeclined("small tables stay float");
    }

    [Fact]
    public void LstmIsDeclinedWithTheReason()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 5, 1, 8);
        var lstm = b.Node("LSTM", [x, b.RandomInitializer("W", 0.3f, 1, 16, 8), b.RandomInitializer("R", 0.3f, 1, 16, 4)], 1, ("hidden_size", 4));
        b.Output(lstm.Output());
        var run = PassHarness.Run(b.Model, new DynamicQuantization(Default));
        Assert.Equal("LSTM", run.Ops);
        run.AssertDeclined("DynamicQuantizeLSTM is a com.microsoft op; only standard ONNX is written");
    }

    [Fact]
    public void ConvIsDeclinedWithTheMeasuredReason()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        b.Output(b.Op("Conv", [x, b.RandomInitializer("w", 1f, 4, 3, 3, 3)]));
        var run = PassHarness.Run(b.Model, new DynamicQuantization(Default));
        Assert.Equal("Conv", run.Ops);
        run.AssertDeclined("measured slower than float Conv");
    }

    [Fact]
    public void ConsumersOfOneActivationShareItsQuantization()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 6, 32);
        b.Output(b.Op("MatMul", [x, b.RandomInitializer("wq", 1f, 32, 8)]), b.Op("MatMul", [x, b.RandomInitializer("wk", 1f, 32, 8)]));
        var run = PassHarness.Run(b.Model, new DynamicQuantization(Default));
        Assert.Equal("DynamicQuantizeLinear,MatMulInteger,Cast,Mul,Mul,MatMulInteger,Cast,Mul,Mul", run.Ops);
        Assert.Equal(["matmul1", "matmul2"], b.Graph.Outputs.Select(o => o.Name));
        Assert.InRange(Cosine(run, x), 0.9999, 1);
    }

    [Fact]
    public void MatMulInsideAnIfBranchIsQuantized()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 4, 32);
        var cond = b.Input("cond", ElementType.Bool);
        var then = new Graph("then");
        var w = then.AddInitializer(Tensor.FromArray("w_then", b.RandomFloats([32, 8]), 32, 8));
        then.AddOutput(then.AddNode("MatMul", [x, w], ["then_out"]).Output());
        var otherwise = new Graph("else");
        otherwise.AddOutput(otherwise.AddNode("ReduceSum", [x, b.Initializer("axes", [1L], 1)], ["else_out"], [Onnx.IR.Attribute.FromInt("keepdims", 1)]).Output());
        b.Output(b.Op("If", [cond], ("then_branch", then), ("else_branch", otherwise)));
        var run = PassHarness.Run(b.Model, new DynamicQuantization(Default));
        Assert.Equal("DynamicQuantizeLinear,MatMulInteger,Cast,Mul,Mul", string.Join(",", then.Nodes.Select(n => n.OpType)));
        Assert.Equal("then_out", then.Outputs[0].Name);
        var inputs = new Dictionary<string, TestTensor>
        {
            ["x"] = OrtRunner.Random(ElementType.Float, [4, 32], new Random(3)),
            ["cond"] = new(ElementType.Bool, [], new[] { true }),
        };
        Assert.InRange(run.MaxRelativeError(inputs: inputs), 1e-6, 0.02);
    }

    [Fact]
    public void OpsetBelow10Throws()
    {
        var b = new GraphBuilder(opset: 9);
        b.Output(b.Op("MatMul", [b.Input("x", ElementType.Float, 2, 4), b.RandomInitializer("w", 1f, 4, 3)]));
        Assert.Throws<InvalidOperationException>(() => new DynamicQuantization(Default).Run(b.Model, new Optimizer.Passes.Infrastructure.PassContext()));
    }

    [Fact]
    public void OnnxRuntimeFusesTheToyIntoItsIntegerKernels()
    {
        var b = MatMulWithBias(out _);
        PassHarness.Run(b.Model, new DynamicQuantization(Default));
        var ops = DynamicOrtSession.OpCounts(DynamicOrtSession.Optimized(ModelWriter.ToBytes(b.Model)));
        Assert.Equal(1, ops.GetValueOrDefault("DynamicQuantizeMatMul"));
        Assert.False(ops.ContainsKey("MatMulInteger"));
        Assert.False(ops.ContainsKey("Add"));
    }

    /// <summary>Cosine between the model before and after the pass on seeded inputs (ONNX Runtime optimizations off).</summary>
    private static double Cosine(PassHarness run, Value input)
    {
        var inputs = OrtRunner.SeededInputs(run.Model, 7);
        var after = OrtRunner.Run(run.Model, inputs);
        Assert.NotNull(input);
        return after.Keys.Min(name => DynamicOrtSession.Cosine(
            Floats(OrtRunner.Run(run.Before, inputs)[name]), Floats(after[name])));
    }

    private static float[] Floats(TestTensor t) => (float[])t.Data;
}
