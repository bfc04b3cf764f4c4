using Optimizer.Onnx.IR;
using Optimizer.Passes.Quantization;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Quantization;

/// <summary>The plan alone (IR, no runtime): which nodes are quantized, which ranges are needed, what stays float.</summary>
public class QdqPlannerTests
{
    private static readonly QuantizationSettings Cpu = new();
    private static readonly QuantizationSettings TensorRt = new() { Target = QuantizationTarget.TensorRt };

    /// <summary>x → Conv_1 → Relu_2 → MaxPool_3 → Conv_4 → output.</summary>
    internal static (Model Model, Value Relu, Value Pool, Value Out) ConvReluPoolConv(int seed = 1234)
    {
        var b = new GraphBuilder(seed: seed);
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var c1 = b.Op("Conv", [x, b.RandomInitializer("w1", 0.5f, 4, 3, 3, 3), b.RandomInitializer("b1", 0.5f, 4)], ("pads", new[] { 1, 1, 1, 1 }));
        var relu = b.Op("Relu", [c1]);
        var pool = b.Op("MaxPool", [relu], ("kernel_shape", new[] { 2, 2 }), ("strides", new[] { 2, 2 }));
        var c2 = b.Op("Conv", [pool, b.RandomInitializer("w2", 0.5f, 5, 4, 3, 3), b.RandomInitializer("b2", 0.5f, 5)]);
        b.Output(c2);
        return (b.Model, relu, pool, c2);
    }

    [Fact]
    public void ConvReluMaxPoolConvFoldsTheReluAndSharesThePoolScale()
    {
        var (model, relu, pool, output) = ConvReluPoolConv();
        var plan = QdqPlanner.Plan(model, Cpu);
        Assert.Equal(["Conv_1", "MaxPool_3", "Conv_4"], plan.QuantizedNodes);
        // The first Conv's output Q takes the Relu's range; the Relu itself is neither quantized nor left float.
        Assert.Equal(["x", relu.Name, pool.Name, output.Name], plan.TensorsToCalibrate);
        Assert.Empty(plan.LeftInFloat);
    }

    [Fact]
    public void MatMulWithAConstantWeightNeedsOnlyItsInputRange()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 8);
        b.Output(b.Op("MatMul", [x, b.RandomInitializer("w", 1f, 8, 4)]));
        var plan = QdqPlanner.Plan(b.Model, Cpu);
        Assert.Equal(["MatMul_1"], plan.QuantizedNodes);
        // Its output is a graph output with no quantized consumer: MatMulIntegerToFloat writes float, no output Q.
        Assert.Equal(["x"], plan.TensorsToCalibrate);
    }

    [Fact]
    public void ActivationTimesActivationMatMulQuantizesBothInputs()
    {
        var b = new GraphBuilder();
        var q = b.Input("q", ElementType.Float, 2, 3, 4);
        var k = b.Input("k", ElementType.Float, 2, 4, 5);
        b.Output(b.Op("MatMul", [q, k]));
        foreach (var settings in new[] { Cpu, TensorRt })
        {
            var plan = QdqPlanner.Plan(b.Model, settings);
            Assert.Equal(["MatMul_1"], plan.QuantizedNodes);
            Assert.Equal(["q", "k"], plan.TensorsToCalibrate);
        }
    }

    /// <summary>x → Conv_1 → h → Conv_2 → y; Add_3(y, h) → output: a residual block.</summary>
    private static (Model Model, Value H, Value Y, Value Sum) Residual()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 4, 6, 6);
        var h = b.Op("Conv", [x, b.RandomInitializer("w1", 0.5f, 4, 4, 1, 1)]);
        var y = b.Op("Conv", [h, b.RandomInitializer("w2", 0.5f, 4, 4, 3, 3)], ("pads", new[] { 1, 1, 1, 1 }));
        var sum = b.Op("Add", [y, h]);
        b.Output(sum);
        return (b.Model, h, y, sum);
    }

    [Fact]
    public void ResidualAddOnCpuIsAQLinearAddOfBothBranches()
    {
        var (model, h, y, sum) = Residual();
        // The residual Add feeds the next Conv: QLinearAdd, and its output quantized for that Conv.
        var next = model.Graph.AddNode("Conv", [sum, model.Graph.AddInitializer(Tensor.FromArray("w3", Enumerable.Repeat(0.1f, 4 * 4).ToArray(), 4, 4, 1, 1))], ["z"]);
        model.Graph.SetOutput(0, next.Output());
        var plan = QdqPlanner.Plan(model, Cpu);
        Assert.Equal(["Conv_1", "Conv_2", "Add_3", "Conv_0"], plan.QuantizedNodes);
        Assert.Equal(["x", h.Name, y.Name, sum.Name, "z"], plan.TensorsToCalibrate);
    }

    [Fact]
    public void AnAddWhoseResultOnlyFloatOpsReadStaysFloat()
    {
        // Add → graph output (or LayerNormalization in a transformer): a QLinearAdd would be converted straight back.
        var (model, h, y, _) = Residual();
        var plan = QdqPlanner.Plan(model, Cpu);
        Assert.Equal(["Conv_1", "Conv_2"], plan.QuantizedNodes);
        Assert.Contains(plan.LeftInFloat, l => l.Node == "Add_3" && l.Reason.Contains("reaches no integer Conv"));
        Assert.Equal(["x", h.Name, y.Name], plan.TensorsToCalibrate);
    }

    [Fact]
    public void AMulByAPerChannelConstantStaysFloat()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 4, 8, 8);
        var c = b.Op("Conv", [x, b.RandomInitializer("w", 1f, 4, 4, 1, 1)]);
        var scaled = b.Op("Mul", [c, b.RandomInitializer("gamma", 1f, 4, 1, 1)]);
        b.Output(b.Op("Conv", [scaled, b.RandomInitializer("w2", 1f, 4, 4, 1, 1)]));
        var plan = QdqPlanner.Plan(b.Model, Cpu);
        Assert.Contains(plan.LeftInFloat, l => l.Node.StartsWith("Mul") && l.Reason.Contains("one value per channel"));
        Assert.DoesNotContain(plan.QuantizedNodes, n => n.StartsWith("Mul"));
    }

    [Fact]
    public void ResidualAddForTensorRtQuantizesOnlyTheIdentityBranch()
    {
        var (model, h, _, _) = Residual();
        var plan = QdqPlanner.Plan(model, TensorRt);
        Assert.Equal(["Conv_1", "Conv_2", "Add_3"], plan.QuantizedNodes);
        // h feeds Conv_2 and is the Add's identity input: one range, one Q/DQ pair; no outputs are quantized.
        Assert.Equal(["x", h.Name], plan.TensorsToCalibrate);
    }

    [Fact]
    public void LayerNormalizationStaysFloatWithTheReason()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 8);
        var m = b.Op("MatMul", [x, b.RandomInitializer("w", 1f, 8, 8)]);
        b.Output(b.Op("LayerNormalization", [m, b.RandomInitializer("g", 1f, 8), b.RandomInitializer("beta", 1f, 8)], ("axis", -1)));
        var plan = QdqPlanner.Plan(b.Model, Cpu);
        Assert.Equal(["MatMul_1"], plan.QuantizedNodes);
        Assert.Equal(["x"], plan.TensorsToCalibrate);
        var (node, reason) = Assert.Single(plan.LeftInFloat);
        Assert.Equal("LayerNormalization_2", node);
        Assert.Contains("not fused by ONNX Runtime's CPU provider", reason);
    }

    [Fact]
    public void ExcludedOpTypesAndNodeNamesStayFloat()
    {
        var (model, relu, _, _) = ConvReluPoolConv();
        var byType = QdqPlanner.Plan(model, Cpu with { Exclude = new HashSet<string> { "Conv" } });
        Assert.Empty(byType.QuantizedNodes);
        Assert.Contains(("Conv_1", QdqPlanner.Excluded), byType.LeftInFloat);
        Assert.Contains(("Conv_4", QdqPlanner.Excluded), byType.LeftInFloat);

        var byName = QdqPlanner.Plan(model, Cpu with { Exclude = new HashSet<string> { "Conv_4" } });
        Assert.Equal(["Conv_1", "MaxPool_3"], byName.QuantizedNodes);
        Assert.Equal([("Conv_4", QdqPlanner.Excluded)], byName.LeftInFloat);
        Assert.Contains(relu.Name, byName.TensorsToCalibrate);

        var kept = QdqPlanner.Plan(model, Cpu with { KeepFloat = new HashSet<string> { "Conv_1" } });
        Assert.Equal(["Conv_4"], kept.QuantizedNodes);
        Assert.Contains(kept.LeftInFloat, l => l.Node == "Relu_2");
        Assert.Contains(kept.LeftInFloat, l => l.Node == "MaxPool_3");
    }

    [Fact]
    public void AWeightThatIsAnOverridableGraphInputIsLeftFloat()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 4, 4);
        var w = b.RandomInitializer("w", 1f, 2, 3, 1, 1);
        b.Graph.AddInputValue(w);
        b.Output(b.Op("Conv", [x, w]));
        var plan = QdqPlanner.Plan(b.Model, Cpu);
        Assert.Empty(plan.QuantizedNodes);
        Assert.Equal([("Conv_1", QdqPlanner.OverridableWeight)], plan.LeftInFloat);
    }

    [Fact]
    public void UnnamedNodesGetDeterministicNames()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 2);
        var r = b.Graph.AddNode("Relu", [x], ["r"]).Output();
        var s = b.Graph.AddNode("Relu", [r], ["s"]).Output();
        b.Graph.AddNode("Sigmoid", [s], ["Relu_1"], name: "Relu_1x");
        b.Output(b.Graph.Nodes[^1].Output());
        // "Relu_1" is taken (by a value): the second Relu gets the next free name.
        Assert.Equal(2, NodeNaming.EnsureNames(b.Model));
        Assert.Equal(["Relu_0", "Relu_1_1", "Relu_1x"], b.Graph.Nodes.Select(n => n.Name));
        Assert.Equal(0, NodeNaming.EnsureNames(b.Model));
    }
}
