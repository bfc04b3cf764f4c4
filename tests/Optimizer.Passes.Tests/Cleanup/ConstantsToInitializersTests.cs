using Optimizer.Onnx.IR;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Cleanup;

public class ConstantsToInitializersTests
{
    [Fact]
    public void ConstantNodesBecomeInitializersWithTheSameName()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        var c = b.Constant(Tensor.FromArray("c", b.RandomFloats([3]), 3), "bias");
        b.Output(b.Op("Add", [x, c]));
        var run = PassHarness.Run(b.Model, new ConstantsToInitializers());
        Assert.Equal("Add", run.Ops);
        Assert.Equal("bias", Assert.Single(b.Graph.Initializers).Name);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void DeclinesAConstantThatIsAGraphOutput()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 3);
        var c = b.Constant(Tensor.FromArray("c", new[] { 1f, 2f, 3f }, 3), "c");
        b.Output(b.Op("Add", [x, c]), c);
        var run = PassHarness.Run(b.Model, new ConstantsToInitializers());
        Assert.Equal("Constant,Add", run.Ops);
        run.AssertDeclined("is a graph output");
    }
}
