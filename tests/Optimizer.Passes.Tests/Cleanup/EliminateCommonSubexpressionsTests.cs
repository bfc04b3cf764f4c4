using Optimizer.Onnx.IR;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Cleanup;

public class EliminateCommonSubexpressionsTests
{
    [Fact]
    public void MergesRepeatedComputationsToAFixedPoint()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "batch", 3);
        // Shape(x)[0] computed twice, as exporters do: once merged, the Gathers become duplicates too.
        var g1 = b.Op("Gather", [b.Op("Shape", [x]), b.Graph.AddInitializer(Tensor.Scalar("i0", 0L))], ("axis", 0));
        var g2 = b.Op("Gather", [b.Op("Shape", [x]), b.Graph.FindValue("i0")], ("axis", 0));
        b.Output(b.Op("Add", [g1, g2]), b.Op("Relu", [x]));
        var run = PassHarness.Run(b.Model, new EliminateCommonSubexpressions());
        Assert.Equal("Shape,Gather,Add,Relu", run.Ops);
        Assert.Equal(2, run.Records[0].NodesRemoved);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void NeverMergesRandomOpsOrTwoGraphOutputs()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 3);
        b.Output(b.Op("RandomUniformLike", [x]), b.Op("RandomUniformLike", [x]), b.Op("Relu", [x]), b.Op("Relu", [x]));
        var run = PassHarness.Run(b.Model, new EliminateCommonSubexpressions());
        Assert.Equal("RandomUniformLike,RandomUniformLike,Relu,Relu", run.Ops);
        run.AssertDeclined("is a graph output");
    }
}
