using Optimizer.Onnx.IR;
using Optimizer.Passes.Fusion;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Fusion;

public class ConvMulAddFusionTests
{
    [Fact]
    public void FoldsPerChannelMulAndAddIntoTheConv()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 6, 6);
        var y = b.Op("Conv", [x, b.RandomInitializer("w", 1f, 4, 3, 3, 3)]);
        y = b.Op("Mul", [b.RandomInitializer("k", 2f, 4, 1, 1), y]);
        y = b.Op("Add", [y, b.RandomInitializer("t", 1f, 1, 4, 1, 1)]);
        y = b.Op("Add", [y, b.Graph.AddInitializer(Tensor.Scalar("s", 0.25f))]);
        b.Output(b.Op("Relu", [y]));
        var run = PassHarness.Run(b.Model, new ConvMulAddFusion());
        Assert.Equal("Conv,Relu", run.Ops);
        Assert.Equal(3, run.Records[0].NodesRewritten);
        run.AssertSameOutputs(1e-5);
    }

    [Fact]
    public void DeclinesAConstantThatBroadcastsOverSpatialAxes()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 6, 6);
        var y = b.Op("Conv", [x, b.RandomInitializer("w", 1f, 4, 3, 1, 1)]);
        b.Output(b.Op("Mul", [y, b.RandomInitializer("k", 1f, 6)]));
        var run = PassHarness.Run(b.Model, new ConvMulAddFusion());
        Assert.Equal("Conv,Mul", run.Ops);
        run.AssertDeclined("is not per-channel");
    }
}
