using Optimizer.Onnx.IR;
using Optimizer.Onnx.Printing;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Golden;

/// <summary>
/// Small models through the whole default pipeline, compared as text with golden files (Golden/*.txt), so a change
/// in any pass shows up as a reviewable diff of the graph it produces.
/// </summary>
public class DefaultPipelineGoldenTests
{
    [Fact]
    public void ConvBlockWithConstantNodesBatchNormAndHardSwish()
    {
        var b = new GraphBuilder(opset: 11);
        var x = b.Input("x", ElementType.Float, "n", 3, 8, 8);
        var pad = b.Op("Pad", [x, b.Constant(Tensor.FromArray("p", new long[] { 0, 0, 1, 1, 0, 0, 1, 1 }, 8), "pads")]);
        var conv = b.Op("Conv", [pad, b.Constant(Tensor.FromArray("w", b.RandomFloats([4, 3, 3, 3]), 4, 3, 3, 3), "w")]);
        var bias = b.Op("Add", [conv, b.Constant(Tensor.FromArray("b", b.RandomFloats([4, 1, 1]), 4, 1, 1), "b")]);
        var bn = b.Op("BatchNormalization", [bias, b.RandomInitializer("scale", 1f, 4), b.RandomInitializer("B", 1f, 4),
            b.RandomInitializer("mean", 1f, 4), b.Initializer("var", new[] { 1f, 0.5f, 2f, 1e-3f }, 4)]);
        var shifted = b.Op("Add", [bn, b.Constant(Tensor.Scalar("three", 3f), "three")]);
        var clip = b.Op("Clip", [shifted, b.Constant(Tensor.Scalar("lo", 0f), "lo"), b.Constant(Tensor.Scalar("hi", 6f), "hi")]);
        var swish = b.Op("Div", [b.Op("Mul", [bn, clip]), b.Constant(Tensor.Scalar("six", 6f), "six")]);
        b.Output(b.Op("Identity", [b.Op("Identity", [swish])]));
        var run = PassHarness.Run(b.Model, Passes.Infrastructure.PassRegistry.DefaultPipeline().ToArray());
        run.AssertSameOutputs(1e-5);
        GoldenFile.AssertMatches(GraphPrinter.Print(b.Model), "tests/Optimizer.Passes.Tests/Golden/conv_block.txt");
    }

    [Fact]
    public void AttentionReshapesAndGeluAtOpset20()
    {
        var b = new GraphBuilder(opset: 20);
        var x = b.Input("x", ElementType.Float, "batch", "seq", 8);
        var h = b.Op("Add", [b.Op("MatMul", [x, b.RandomInitializer("wq", 1f, 8, 8)]), b.RandomInitializer("bq", 1f, 8)]);
        var shape = b.Op("Shape", [h]);
        var axes = b.Constant(Tensor.FromArray("axes", new long[] { 0 }, 1), "axes");
        Value Dim(long k) => b.Op("Unsqueeze", [b.Op("Gather", [b.Op("Shape", [h]), b.Constant(Tensor.Scalar("i", k), $"index{k}")], ("axis", 0)), axes]);
        var target = b.Op("Concat", [Dim(0), Dim(1), b.Constant(Tensor.FromArray("heads", new long[] { 2, 4 }, 2), "heads")], ("axis", 0));
        var heads = b.Op("Transpose", [b.Op("Reshape", [h, target])], ("perm", new[] { 0, 2, 1, 3 }));
        var erf = b.Op("Erf", [b.Op("Div", [heads, b.Constant(Tensor.Scalar("sqrt2", 1.4142135f), "sqrt2")])]);
        var gelu = b.Op("Mul", [b.Op("Mul", [heads, b.Op("Add", [erf, b.Constant(Tensor.Scalar("one", 1f), "one")])]), b.Constant(Tensor.Scalar("half", 0.5f), "half")]);
        b.Output(b.Op("Transpose", [gelu], ("perm", new[] { 0, 2, 1, 3 })), shape);
        var run = PassHarness.Run(b.Model, Passes.Infrastructure.PassRegistry.DefaultPipeline().ToArray());
        var inputs = OrtRunner.SeededInputs(b.Model, dimValues: new Dictionary<string, long> { ["batch"] = 2, ["seq"] = 3 });
        Assert.InRange(run.MaxRelativeError(inputs: inputs), 0, 1e-5);
        GoldenFile.AssertMatches(GraphPrinter.Print(b.Model), "tests/Optimizer.Passes.Tests/Golden/attention_gelu.txt");
    }
}
