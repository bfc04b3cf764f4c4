using Optimizer.Onnx.IR;
using Optimizer.Passes.Fusion;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Fusion;

public class HardSwishFusionTests
{
    /// <summary>x * Clip(x + 3, 0, 6) / 6 as paddle2onnx writes it (Clip bounds as attributes before opset 11).</summary>
    private static GraphBuilder Decomposed(long opset, float divisor = 6f)
    {
        var b = new GraphBuilder(opset);
        var x = b.Op("Conv", [b.Input("x", ElementType.Float, 1, 2, 5, 5), b.RandomInitializer("w", 4f, 3, 2, 1, 1)]);
        var shifted = b.Op("Add", [x, b.Graph.AddInitializer(Tensor.Scalar("three", 3f))]);
        var clipped = opset < 11
            ? b.Op("Clip", [shifted], ("min", 0f), ("max", 6f))
            : b.Op("Clip", [shifted, b.Graph.AddInitializer(Tensor.Scalar("lo", 0f)), b.Graph.AddInitializer(Tensor.Scalar("hi", 6f))]);
        b.Output(b.Op("Relu", [b.Op("Div", [b.Op("Mul", [x, clipped]), b.Graph.AddInitializer(Tensor.Scalar("six", divisor))])]));
        return b;
    }

    [Theory]
    [InlineData(9, "Conv,HardSigmoid,Mul,Relu")]
    [InlineData(11, "Conv,HardSigmoid,Mul,Relu")]
    [InlineData(14, "Conv,HardSwish,Relu")]
    public void FusesTheDecomposedPattern(long opset, string ops)
    {
        var run = PassHarness.Run(Decomposed(opset).Model, new HardSwishFusion());
        Assert.Equal(ops, run.Ops);
        run.AssertSameOutputs(1e-6);
    }

    [Fact]
    public void DeclinesAConstantThatWouldWidenTheInput()
    {
        var b = new GraphBuilder(14);
        var x = b.Input("x", ElementType.Float, 2, 3);
        var clipped = b.Op("Clip", [b.Op("Add", [x, b.Initializer("three", new[] { 3f }, 1, 1, 1)]), b.Graph.AddInitializer(Tensor.Scalar("lo", 0f)), b.Graph.AddInitializer(Tensor.Scalar("hi", 6f))]);
        b.Output(b.Op("Div", [b.Op("Mul", [x, clipped]), b.Graph.AddInitializer(Tensor.Scalar("six", 6f))]));
        var run = PassHarness.Run(b.Model, new HardSwishFusion());
        Assert.Equal("Add,Clip,Mul,Div", run.Ops);
        run.AssertDeclined("could broadcast x to a larger shape");
    }

    [Fact]
    public void LeavesOtherDivisorsAndDeclinesASharedShift()
    {
        Assert.Equal("Conv,Add,Clip,Mul,Div,Relu", PassHarness.Run(Decomposed(14, divisor: 5f).Model, new HardSwishFusion()).Ops);
        var b = Decomposed(14);
        b.Output(b.Graph.Nodes[1].Output());
        var run = PassHarness.Run(b.Model, new HardSwishFusion());
        Assert.Contains("Clip", run.Ops);
        run.AssertDeclined("x + 3 is used outside the pattern");
    }
}
