using Optimizer.Onnx.IR;
using Optimizer.Passes.Fusion;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Fusion;

public class ReshapeChainFusionTests
{
    [Fact]
    public void SkipsAReshapeWhoseResultIsReshapedAgain()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3, 4);
        var flat = b.Op("Flatten", [x], ("axis", 1));
        var r = b.Op("Reshape", [flat, b.Initializer("s1", new long[] { 6, 4 }, 2)]);
        b.Output(b.Op("Reshape", [r, b.Initializer("s2", new long[] { 4, -1 }, 2)]));
        var run = PassHarness.Run(b.Model, new ReshapeChainFusion());
        Assert.Equal("Reshape", run.Ops);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void DeclinesATargetThatCopiesIntermediateDimensions()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 12);
        var r = b.Op("Reshape", [x, b.Initializer("s1", new long[] { 6, 4 }, 2)]);
        b.Output(b.Op("Reshape", [r, b.Initializer("s2", new long[] { 0, 2, 2 }, 3)]));
        var run = PassHarness.Run(b.Model, new ReshapeChainFusion());
        Assert.Equal("Reshape,Reshape", run.Ops);
        run.AssertDeclined("copies dimensions");
    }
}
