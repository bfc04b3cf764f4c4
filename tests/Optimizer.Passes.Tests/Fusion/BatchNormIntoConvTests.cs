using Optimizer.Onnx.IR;
using Optimizer.Passes.Fusion;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Fusion;

public class BatchNormIntoConvTests
{
    internal static Value BatchNorm(GraphBuilder b, Value input, int channels, float varianceScale = 1f)
    {
        var variance = b.RandomFloats([channels]).Select(v => Math.Abs(v) * varianceScale + 1e-6f).ToArray();
        return b.Op("BatchNormalization",
            [input, b.RandomInitializer(b.Graph.UniqueValueName("scale"), 1f, channels), b.RandomInitializer(b.Graph.UniqueValueName("B"), 1f, channels),
                b.RandomInitializer(b.Graph.UniqueValueName("mean"), 1f, channels), b.Initializer(b.Graph.UniqueValueName("var"), variance, channels)],
            ("epsilon", 1e-5f));
    }

    [Theory]
    [InlineData("Conv")]
    [InlineData("ConvTranspose")]
    public void FoldsIntoConvolutions(string op)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var w = op == "Conv" ? b.RandomInitializer("w", 0.5f, 4, 3, 3, 3) : b.RandomInitializer("w", 0.5f, 3, 4, 3, 3);
        var y = b.Op(op, [x, w, b.RandomInitializer("bias", 0.5f, 4)], ("pads", new[] { 1, 1, 1, 1 }));
        b.Output(b.Op("Relu", [BatchNorm(b, y, 4, varianceScale: 1e-3f)]));
        var run = PassHarness.Run(b.Model, new BatchNormIntoConv());
        Assert.Equal($"{op},Relu", run.Ops);
        run.AssertSameOutputs(1e-5);
    }

    [Fact]
    public void FoldsIntoGemmAndRank2MatMul()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 5);
        var g = b.Op("Gemm", [x, b.RandomInitializer("wg", 1f, 6, 5), b.RandomInitializer("c", 1f, 6)], ("transB", 1), ("beta", 0.5f));
        var m = b.Op("MatMul", [x, b.RandomInitializer("wm", 1f, 5, 6)]);
        m.Type = new TensorTypeInfo(ElementType.Float, new Shape(2, 6)); // as shape inference would record it
        b.Output(BatchNorm(b, g, 6), BatchNorm(b, m, 6));
        var run = PassHarness.Run(b.Model, new BatchNormIntoConv());
        Assert.Equal("Gemm,MatMul,Add", run.Ops);
        run.AssertSameOutputs(1e-5);
    }

    [Fact]
    public void FoldsInsideIfBranches()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 4, 4);
        var cond = b.Input("cond", ElementType.Bool);
        var then = new Graph("then");
        var conv = then.AddNode("Conv", [x, b.RandomInitializer("w", 1f, 2, 3, 1, 1)], ["conv"]).Output();
        var scale = b.RandomInitializer("scale", 1f, 2);
        var bn = then.AddNode("BatchNormalization", [conv, scale, b.RandomInitializer("B", 1f, 2), b.RandomInitializer("mean", 1f, 2), b.Initializer("var", new[] { 0.5f, 2f }, 2)], ["bn"]);
        then.AddOutput(bn.Output());
        var otherwise = new Graph("else");
        otherwise.AddOutput(otherwise.AddNode("Conv", [x, b.RandomInitializer("w2", 1f, 2, 3, 1, 1)], ["conv2"]).Output());
        b.Output(b.Op("If", [cond], ("then_branch", then), ("else_branch", otherwise)));
        var run = PassHarness.Run(b.Model, new BatchNormIntoConv());
        Assert.Equal("Conv", string.Join(",", then.Nodes.Select(n => n.OpType)));
        Assert.Equal(then.Outputs[0], then.Nodes[0].Output());
        foreach (var seed in new[] { 1, 2, 3, 4 }) Assert.InRange(run.MaxRelativeError(seed), 0, 1e-5);
    }

    [Fact]
    public void DeclinesWhenTheConvOutputIsShared()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 4, 4);
        var y = b.Op("Conv", [x, b.RandomInitializer("w", 1f, 2, 3, 1, 1)]);
        b.Output(BatchNorm(b, y, 2), b.Op("Relu", [y]));
        var run = PassHarness.Run(b.Model, new BatchNormIntoConv());
        Assert.Equal("Conv,BatchNormalization,Relu", run.Ops);
        run.AssertDeclined("also used elsewhere");
    }

    [Fact]
    public void DeclinesANonConstantWeight()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 4, 4);
        var w = b.Input("w", ElementType.Float, 2, 3, 1, 1);
        b.Output(BatchNorm(b, b.Op("Conv", [x, w]), 2));
        var run = PassHarness.Run(b.Model, new BatchNormIntoConv());
        run.AssertDeclined("weight is not a constant");
    }
}
