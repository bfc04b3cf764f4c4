using Optimizer.Onnx.IR;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Cleanup;

public class EliminateIdentityTests
{
    [Fact]
    public void RemovesIdentitiesAndKeepsOutputNames()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        var r = b.Op("Identity", [b.Op("Relu", [x])]);
        var y = b.Op("Identity", [b.Op("Sigmoid", [r])]);
        b.Output(y);
        var name = y.Name;
        var run = PassHarness.Run(b.Model, new EliminateIdentity());
        Assert.Equal("Relu,Sigmoid", run.Ops);
        Assert.Equal(name, b.Graph.Outputs[0].Name);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void DeclinesAnIdentityFromAGraphInputToAGraphOutput()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2);
        b.Output(b.Op("Identity", [x]));
        var run = PassHarness.Run(b.Model, new EliminateIdentity());
        Assert.Equal("Identity", run.Ops);
        run.AssertDeclined("is a graph output");
    }
}
