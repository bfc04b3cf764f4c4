using Optimizer.Onnx.IR;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Cleanup;

public class EliminateNoOpsTests
{
    [Fact]
    public void RemovesCastReshapeTransposePadSliceAndNeutralArithmetic()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        var v = b.Op("Cast", [x], ("to", 1));
        v = b.Op("Reshape", [v, b.Initializer("shape", new long[] { 0, 3 }, 2)]);
        v = b.Op("Transpose", [v], ("perm", new[] { 0, 1 }));
        v = b.Op("Pad", [v, b.Initializer("pads", new long[4], 4)]);
        v = b.Op("Slice", [v, b.Initializer("starts", new long[] { 0 }, 1), b.Initializer("ends", new[] { long.MaxValue }, 1), b.Initializer("axes", new long[] { -1 }, 1)]);
        v = b.Op("Add", [v, b.Graph.AddInitializer(Tensor.Scalar("zero", 0f))]);
        v = b.Op("Mul", [b.Initializer("ones", new[] { 1f }, 1, 1), v]);
        b.Output(b.Op("Relu", [v]));
        var run = PassHarness.Run(b.Model, new EliminateNoOps());
        Assert.Equal("Relu", run.Ops);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void KeepsOpsThatChangeShapeOrValues()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 1);
        var widened = b.Op("Add", [x, b.Initializer("zeros", new float[3], 3)]);
        var reshaped = b.Op("Reshape", [x, b.Initializer("shape", new long[] { 1, 2 }, 2)]);
        var scaled = b.Op("Mul", [x, b.Graph.AddInitializer(Tensor.Scalar("two", 2f))]);
        b.Output(widened, reshaped, scaled);
        var run = PassHarness.Run(b.Model, new EliminateNoOps());
        Assert.Equal("Add,Reshape,Mul", run.Ops);
    }

    [Fact]
    public void DeclinesANoOpBetweenAGraphInputAndAGraphOutput()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2);
        b.Output(b.Op("Cast", [x], ("to", 1)));
        var run = PassHarness.Run(b.Model, new EliminateNoOps());
        Assert.Equal("Cast", run.Ops);
        run.AssertDeclined("is a graph output");
    }
}
