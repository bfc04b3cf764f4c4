using Optimizer.Onnx.IR;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Cleanup;

public class DeduplicateInitializersTests
{
    [Fact]
    public void MergesInitializersWithTheSameBytes()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        var data = b.RandomFloats([3]);
        var w1 = b.Initializer("w1", data, 3);
        var w2 = b.Initializer("w2", data.ToArray(), 3);
        b.Output(b.Op("Mul", [b.Op("Add", [x, w1]), w2]));
        var run = PassHarness.Run(b.Model, new DeduplicateInitializers());
        Assert.Equal("w1", Assert.Single(b.Graph.Initializers).Name);
        Assert.Equal(12, run.Records[0].BytesSaved);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void KeepsEqualBytesOfADifferentShape()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 2);
        var w1 = b.Initializer("w1", new[] { 1f, 2f, 3f, 4f }, 4);
        var w2 = b.Initializer("w2", new[] { 1f, 2f, 3f, 4f }, 2, 2);
        b.Output(b.Op("Add", [x, w2]), b.Op("Add", [b.Op("Flatten", [x], ("axis", 0)), w1]));
        var run = PassHarness.Run(b.Model, new DeduplicateInitializers());
        Assert.Equal(2, b.Graph.Initializers.Count);
        Assert.False(run.Records[0].Changed);
    }

    [Fact]
    public void DeclinesAnInitializerThatIsAlsoAGraphInput()
    {
        var b = new GraphBuilder();
        b.Model.IrVersion = 8;
        var x = b.Input("x", ElementType.Float, 3);
        var w1 = b.Initializer("w1", new[] { 1f, 2f, 3f }, 3);
        var w2 = b.Initializer("w2", new[] { 1f, 2f, 3f }, 3);
        b.Graph.AddInputValue(w2);
        b.Output(b.Op("Add", [b.Op("Add", [x, w1]), w2]));
        var run = PassHarness.Run(b.Model, new DeduplicateInitializers());
        Assert.Equal(2, b.Graph.Initializers.Count);
        run.AssertDeclined("also a graph input");
    }

    [Fact]
    public void MergesInitializersListedAsInputsOnlyBecauseIrVersion3RequiresIt()
    {
        // Before IR 4 every initializer is listed among the inputs and is still a constant (ONNX Runtime treats it so).
        var b = new GraphBuilder();
        b.Model.IrVersion = 3;
        var x = b.Input("x", ElementType.Float, 3);
        var w1 = b.Initializer("w1", new[] { 1f, 2f, 3f }, 3);
        var w2 = b.Initializer("w2", new[] { 1f, 2f, 3f }, 3);
        b.Graph.AddInputValue(w1);
        b.Graph.AddInputValue(w2);
        b.Output(b.Op("Add", [b.Op("Add", [x, w1]), w2]));
        var run = PassHarness.Run(b.Model, new DeduplicateInitializers());
        Assert.Single(b.Graph.Initializers);
        Assert.Equal(0, run.MaxRelativeError());
    }
}
