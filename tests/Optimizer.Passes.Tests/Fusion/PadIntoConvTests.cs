using Optimizer.Onnx.IR;
using Optimizer.Passes.Fusion;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Fusion;

public class PadIntoConvTests
{
    [Fact]
    public void FoldsZeroPaddingIntoConvPads()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 2, 5, 5);
        var p = b.Op("Pad", [x, b.Initializer("pads", new long[] { 0, 0, 1, 2, 0, 0, 2, 1 }, 8)]);
        b.Output(b.Op("Conv", [p, b.RandomInitializer("w", 1f, 3, 2, 3, 3)], ("pads", new[] { 1, 0, 0, 1 })));
        var run = PassHarness.Run(b.Model, new PadIntoConv());
        Assert.Equal("Conv", run.Ops);
        Assert.Equal(new long[] { 2, 2, 2, 2 }, b.Graph.Nodes[0].GetInts("pads"));
        run.AssertSameOutputs(1e-6);
    }

    [Fact]
    public void DeclinesMaxPoolAndReflectPadding()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 2, 5, 5);
        var pads = b.Initializer("pads", new long[] { 0, 0, 1, 1, 0, 0, 1, 1 }, 8);
        var pooled = b.Op("MaxPool", [b.Op("Pad", [x, pads])], ("kernel_shape", new[] { 2, 2 }));
        var reflected = b.Op("Conv", [b.Op("Pad", [x, pads], ("mode", "reflect")), b.RandomInitializer("w", 1f, 3, 2, 3, 3)]);
        b.Output(pooled, reflected);
        var run = PassHarness.Run(b.Model, new PadIntoConv());
        Assert.Equal("Pad,MaxPool,Pad,Conv", run.Ops);
        run.AssertDeclined("MaxPool pads with -inf");
        run.AssertDeclined("mode is 'reflect'");
    }
}
