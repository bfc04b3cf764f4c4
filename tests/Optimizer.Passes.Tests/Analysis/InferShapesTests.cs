using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Passes.Analysis;
using Optimizer.Passes.Folding;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Analysis;

public class InferShapesTests
{
    private static GraphBuilder Model()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "batch", 3, 4);
        var r = b.Op("Relu", [x]);
        var width = b.Op("Gather", [b.Op("Shape", [r]), b.Graph.AddInitializer(Tensor.Scalar("two", 2L))], ("axis", 0));
        b.Output(b.Op("Mul", [r, b.Op("Cast", [width], ("to", 1))]));
        return b;
    }

    [Fact]
    public void WritesTypesAndLetsFoldingUseKnownDims()
    {
        var b = Model();
        var run = PassHarness.Run(b.Model, new InferShapes(), new FoldConstants(), new Passes.Cleanup.EliminateDeadCode());
        Assert.Equal("f32[batch,3,4]", b.Graph.Nodes[0].Output().Type!.ToString());
        // Gather(Shape(r), 2) is 4 although the batch stays dynamic; the Cast of it folds in the same sweep.
        Assert.Equal("Relu,Mul", run.Ops);
        Assert.InRange(run.MaxRelativeError(inputs: OrtRunner.SeededInputs(b.Model, dimValues: new Dictionary<string, long> { ["batch"] = 3 })), 0, 0);
    }

    [Fact]
    public void ShapesOptionFixesInputDims()
    {
        var b = Model();
        var run = PassHarness.Run(b.Model, new PassOptions { InputShapes = new Dictionary<string, long[]> { ["x"] = [2, 3, 4] } }, new InferShapes());
        Assert.Equal("f32[2,3,4]", b.Graph.Inputs[0].Type!.ToString());
        Assert.Equal(1, run.Records[0].NodesRewritten);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void ShapesForAnUnknownInputAreRefused()
    {
        var e = Assert.Throws<InvalidInputException>(() =>
            PassHarness.Run(Model().Model, new PassOptions { InputShapes = new Dictionary<string, long[]> { ["nope"] = [1] } }, new InferShapes()));
        Assert.Contains("nope", e.Message);
    }
}
