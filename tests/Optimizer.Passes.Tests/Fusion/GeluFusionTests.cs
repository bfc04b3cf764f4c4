using Optimizer.Onnx.IR;
using Optimizer.Passes.Fusion;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Fusion;

public class GeluFusionTests
{
    /// <summary>x * 0.5 * (1 + erf(x / sqrt 2)) as torch exports it, and the (x * 0.5) * (1 + erf) order.</summary>
    internal static GraphBuilder Decomposed(long opset, bool halfFirst = false)
    {
        var b = new GraphBuilder(opset);
        var x = b.Op("MatMul", [b.Input("x", ElementType.Float, "batch", 8), b.RandomInitializer("w", 1f, 8, 8)]);
        var erf = b.Op("Erf", [b.Op("Div", [x, b.Graph.AddInitializer(Tensor.Scalar("sqrt2", 1.4142135f))])]);
        var plus = b.Op("Add", [erf, b.Graph.AddInitializer(Tensor.Scalar("one", 1f))]);
        var half = b.Graph.AddInitializer(Tensor.Scalar("half", 0.5f));
        var y = halfFirst ? b.Op("Mul", [b.Op("Mul", [x, half]), plus]) : b.Op("Mul", [b.Op("Mul", [x, plus]), half]);
        b.Output(b.Op("Relu", [y]));
        return b;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FusesTheErfPattern(bool halfFirst)
    {
        var run = PassHarness.Run(Decomposed(20, halfFirst).Model, new GeluFusion());
        Assert.Equal("MatMul,Gelu,Relu", run.Ops);
        run.AssertSameOutputs(1e-5);
    }

    [Fact]
    public void DeclinesBelowOpset20()
    {
        var run = PassHarness.Run(Decomposed(17).Model, new GeluFusion());
        Assert.Contains("Erf", run.Ops);
        run.AssertDeclined("Gelu needs opset 20");
    }
}
