using Optimizer.Onnx.IR;
using Optimizer.Passes.Fusion;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Fusion;

public class TransposeChainFusionTests
{
    [Fact]
    public void CancelsInversePermutationsAndMergesOthers()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3, 4, 5);
        var nhwc = b.Op("Transpose", [x], ("perm", new[] { 0, 2, 3, 1 }));
        var back = b.Op("Transpose", [nhwc], ("perm", new[] { 0, 3, 1, 2 }));
        var t1 = b.Op("Transpose", [b.Op("Relu", [back])], ("perm", new[] { 1, 0, 2, 3 }));
        b.Output(b.Op("Transpose", [t1], ("perm", new[] { 0, 1, 3, 2 })));
        var run = PassHarness.Run(b.Model, new TransposeChainFusion());
        Assert.Equal("Relu,Transpose", run.Ops);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void DeclinesWhenTheFirstTransposeIsShared()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        var t = b.Op("Transpose", [x], ("perm", new[] { 1, 0 }));
        b.Output(b.Op("Transpose", [t], ("perm", new[] { 1, 0 })), b.Op("Relu", [t]));
        var run = PassHarness.Run(b.Model, new TransposeChainFusion());
        Assert.Equal("Transpose,Transpose,Relu", run.Ops);
        run.AssertDeclined("also used elsewhere");
    }
}
