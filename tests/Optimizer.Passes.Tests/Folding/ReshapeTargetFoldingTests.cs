using Optimizer.Onnx.IR;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Folding;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Folding;

public class ReshapeTargetFoldingTests
{
    /// <summary>Reshape(x, Concat(Unsqueeze(Gather(Shape(x), i)), Unsqueeze(Gather(Shape(x), j)), [2], [4])), as torch exports attention heads.</summary>
    private static GraphBuilder AttentionReshape(long i, long j)
    {
        var b = new GraphBuilder();
        var x = b.Op("Relu", [b.Input("x", ElementType.Float, "batch", "seq", 8)]);
        var shape = b.Op("Shape", [x]);
        var axes = b.Initializer("axes", new long[] { 0 }, 1);
        Value Dim(long k) => b.Op("Unsqueeze", [b.Op("Gather", [shape, b.Graph.AddInitializer(Tensor.Scalar(b.Graph.UniqueValueName("index"), k))], ("axis", 0)), axes]);
        var target = b.Op("Concat", [Dim(i), Dim(j), b.Initializer("heads", new long[] { 2 }, 1), b.Initializer("size", new long[] { 4 }, 1)], ("axis", 0));
        b.Output(b.Op("Reshape", [x, target]));
        return b;
    }

    [Fact]
    public void ReplacesATargetCopiedFromTheDataShapeByZeros()
    {
        var b = AttentionReshape(0, 1);
        var run = PassHarness.Run(b.Model, new ReshapeTargetFolding(), new EliminateDeadCode());
        Assert.Equal("Relu,Reshape", run.Ops);
        Assert.Equal(new long[] { 0, 0, 2, 4 }, b.Graph.Nodes[1].Input(1)!.GetConstant()!.ToArray<long>());
        var inputs = OrtRunner.SeededInputs(b.Model, dimValues: new Dictionary<string, long> { ["batch"] = 3, ["seq"] = 5 });
        Assert.InRange(run.MaxRelativeError(inputs: inputs), 0, 0);
    }

    [Fact]
    public void DeclinesADimensionCopiedToAnotherPosition()
    {
        var b = AttentionReshape(1, 0);
        var run = PassHarness.Run(b.Model, new ReshapeTargetFolding());
        Assert.Contains("Concat", run.Ops);
        run.AssertDeclined("entry 0 copies dimension 1 of the data, not dimension 0");
    }
}

public class ReshapeTargetFoldingThroughCastsTests
{
    [Fact]
    public void SeesThroughIntegerCastsAndOpset9Slices()
    {
        // PaddleOCR: Reshape(x, Concat(Cast<i64>(Slice<0:1>(Cast<i32>(Shape(x)))), [-1]))
        var b = new GraphBuilder(opset: 9);
        var x = b.Op("Relu", [b.Input("x", ElementType.Float, "n", 3, 2, 2)]);
        var asInt32 = b.Op("Cast", [b.Op("Shape", [x])], ("to", 6));
        var batch = b.Op("Cast", [b.Op("Slice", [asInt32], ("axes", new[] { 0 }), ("starts", new[] { 0 }), ("ends", new[] { 1 }))], ("to", 7));
        b.Output(b.Op("Reshape", [x, b.Op("Concat", [batch, b.Initializer("rest", new long[] { -1 }, 1)], ("axis", 0))]));
        var run = PassHarness.Run(b.Model, new ReshapeTargetFolding(), new EliminateDeadCode());
        Assert.Equal("Relu,Reshape", run.Ops);
        Assert.Equal(new long[] { 0, -1 }, b.Graph.Nodes[1].Input(1)!.GetConstant()!.ToArray<long>());
        Assert.InRange(run.MaxRelativeError(inputs: OrtRunner.SeededInputs(b.Model, dimValues: new Dictionary<string, long> { ["n"] = 4 })), 0, 0);
    }
}
