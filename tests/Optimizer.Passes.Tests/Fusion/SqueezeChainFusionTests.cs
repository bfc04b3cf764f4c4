using Optimizer.Onnx.IR;
using Optimizer.Passes.Fusion;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Fusion;

public class SqueezeChainFusionTests
{
    private static Value Axes(GraphBuilder b, params long[] axes) => b.Initializer(b.Graph.UniqueValueName("axes"), axes, axes.Length);

    [Fact]
    public void MergesUnsqueezesAndCancelsAnUndoneUnsqueeze()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 3, 4);
        var u = b.Op("Unsqueeze", [b.Op("Unsqueeze", [x, Axes(b, 0)]), Axes(b, -1)]);
        var back = b.Op("Squeeze", [b.Op("Unsqueeze", [x, Axes(b, 1)]), Axes(b, 1)]);
        var s = b.Op("Squeeze", [b.Op("Squeeze", [u, Axes(b, 0)]), Axes(b, 2)]);
        b.Output(b.Op("Relu", [back]), s);
        var run = PassHarness.Run(b.Model, new SqueezeChainFusion());
        Assert.Equal("Relu", string.Join(",", b.Graph.Nodes.Where(n => n.OpType != "Squeeze" && n.OpType != "Unsqueeze").Select(n => n.OpType)));
        Assert.Equal(2, b.Graph.Nodes.Count(n => n.OpType is "Squeeze" or "Unsqueeze"));
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void DeclinesASqueezeOfOtherAxes()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 3, 1);
        b.Output(b.Op("Squeeze", [b.Op("Unsqueeze", [x, Axes(b, 0)]), Axes(b, 2)]));
        var run = PassHarness.Run(b.Model, new SqueezeChainFusion());
        Assert.Equal("Unsqueeze,Squeeze", run.Ops);
        run.AssertDeclined("axes differ");
    }
}
