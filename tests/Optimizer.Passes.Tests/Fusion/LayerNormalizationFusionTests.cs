using Optimizer.Onnx.IR;
using Optimizer.Passes.Fusion;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Fusion;

public class LayerNormalizationFusionTests
{
    /// <summary>The decomposed LayerNorm torch 1.13 exports (axes as an attribute before opset 18).</summary>
    internal static GraphBuilder Decomposed(long opset, bool afterAdd = false)
    {
        var b = new GraphBuilder(opset);
        var x = b.Input("x", ElementType.Float, "batch", 7, 16);
        if (afterAdd) x = b.Op("Add", [x, b.RandomInitializer("residual", 1f, 16)]); // as in BERT: the input's type is not stated
        (string, object)[] axes = opset >= 18 ? [] : [("axes", new[] { -1 })];
        Value?[] axesInput = opset >= 18 ? [b.Initializer("axes", new long[] { -1 }, 1)] : [];
        var mean = b.Op("ReduceMean", [x, .. axesInput], axes);
        var d = b.Op("Sub", [x, mean]);
        var variance = b.Op("ReduceMean", [b.Op("Pow", [d, b.Graph.AddInitializer(Tensor.Scalar("two", 2f))]), .. axesInput], axes);
        var std = b.Op("Sqrt", [b.Op("Add", [variance, b.Graph.AddInitializer(Tensor.Scalar("eps", 1e-12f))])]);
        var y = b.Op("Add", [b.Op("Mul", [b.Op("Div", [d, std]), b.RandomInitializer("gamma", 1f, 16)]), b.RandomInitializer("beta", 1f, 16)]);
        b.Output(b.Op("MatMul", [y, b.RandomInitializer("w", 1f, 16, 4)]));
        return b;
    }

    [Theory]
    [InlineData(17)]
    [InlineData(18)]
    public void FusesTheDecomposedPattern(long opset)
    {
        var b = Decomposed(opset);
        var run = PassHarness.Run(b.Model, new LayerNormalizationFusion());
        Assert.Equal("LayerNormalization,MatMul", run.Ops);
        run.AssertSameOutputs(1e-5);
    }

    [Fact]
    public void NeedsInferredShapesForAnIntermediateInput()
    {
        PassHarness.Run(Decomposed(17, afterAdd: true).Model, new LayerNormalizationFusion()).AssertDeclined("shapes not inferred");
        var run = PassHarness.Run(Decomposed(17, afterAdd: true).Model, new Passes.Analysis.InferShapes(), new LayerNormalizationFusion());
        Assert.Equal("Add,LayerNormalization,MatMul", run.Ops);
        run.AssertSameOutputs(1e-5);
    }

    [Fact]
    public void DeclinesBelowOpset17()
    {
        var run = PassHarness.Run(Decomposed(14).Model, new LayerNormalizationFusion());
        Assert.Contains("Div", run.Ops);
        run.AssertDeclined("LayerNormalization needs opset 17");
    }
}
