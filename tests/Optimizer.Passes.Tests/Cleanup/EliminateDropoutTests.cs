using Optimizer.Onnx.IR;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Cleanup;

public class EliminateDropoutTests
{
    [Fact]
    public void RemovesInferenceDropout()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        b.Output(b.Op("Sigmoid", [b.Op("Dropout", [b.Op("Relu", [x])])]));
        var run = PassHarness.Run(b.Model, new EliminateDropout());
        Assert.Equal("Relu,Sigmoid", run.Ops);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void DeclinesWhenTheMaskIsUsed()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        var dropout = b.Node("Dropout", [b.Op("Relu", [x])], 2);
        b.Output(dropout.Outputs[0]!, b.Op("Not", [dropout.Outputs[1]]));
        var run = PassHarness.Run(b.Model, new EliminateDropout());
        Assert.Equal("Relu,Dropout,Not", run.Ops);
        run.AssertDeclined("mask output");
    }
}
