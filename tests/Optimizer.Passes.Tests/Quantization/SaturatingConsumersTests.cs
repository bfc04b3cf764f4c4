using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Quantization;

public class SaturatingConsumersTests(ITestOutputHelper output)
{
    private static readonly ValueRange Wide = new(-40f, 20f);

    /// <summary>x → Conv → hard-swish as opset 13 writes it (HardSigmoid(1/6, 1/2) and Mul), → Conv.</summary>
    private static (Model Model, Value ConvOut) ConvHardSwishConv(bool alsoAdd = false)
    {
        var b = new GraphBuilder(opset: 13, seed: 5);
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var c = b.Op("Conv", [x, b.RandomInitializer("w1", 2f, 4, 3, 3, 3), b.RandomInitializer("b1", 4f, 4)], ("pads", new[] { 1, 1, 1, 1 }));
        var gate = b.Op("HardSigmoid", [c], ("alpha", 1f / 6), ("beta", 0.5f));
        var hs = b.Op("Mul", [c, gate]);
        var y = b.Op("Conv", [hs, b.RandomInitializer("w2", 0.5f, 2, 4, 1, 1)]);
        if (alsoAdd) y = b.Op("Add", [b.Op("Conv", [c, b.RandomInitializer("w3", 0.5f, 2, 4, 1, 1)]), y]);
        b.Output(y);
        return (b.Model, c);
    }

    [Fact]
    public void HardSwishIgnoresEverythingBelowMinusThree()
    {
        var (_, c) = ConvHardSwishConv();
        Assert.Equal(new ValueRange(-3f, 20f), SaturatingConsumers.Narrow(c, Wide));
    }

    [Fact]
    public void AConsumerThatReadsTheValueAsItIsKeepsTheRange()
    {
        var (_, c) = ConvHardSwishConv(alsoAdd: true);
        Assert.Equal(Wide, SaturatingConsumers.Narrow(c, Wide));
    }

    [Fact]
    public void AHardSigmoidAloneBoundsBothSidesAndClipItsOwnBounds()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, 1, 4);
        b.Output(b.Op("HardSigmoid", [x], ("alpha", 0.2f), ("beta", 0.5f)));
        Assert.Equal(new ValueRange(-2.5f, 2.5f), SaturatingConsumers.Narrow(x, Wide));

        var c = new GraphBuilder(opset: 13);
        var y = c.Input("y", ElementType.Float, 1, 4);
        c.Output(c.Op("Clip", [y, c.Initializer("lo", new[] { -1f }), c.Initializer("hi", new[] { 6f })]), c.Op("Relu", [y]));
        // Clip is flat outside [-1, 6], Relu below 0: a clamp must keep both intervals.
        Assert.Equal(new ValueRange(-1f, 20f), SaturatingConsumers.Narrow(y, Wide));
    }

    [Fact]
    public void AGraphOutputKeepsTheRange()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, 1, 4);
        var h = b.Op("Add", [x, x]);
        b.Output(b.Op("Relu", [h]), h);
        Assert.Equal(Wide, SaturatingConsumers.Narrow(h, Wide));
    }

    [Fact]
    public void TheConvBeforeHardSwishIsQuantizedOnTheNarrowedRangeAndStaysClose()
    {
        var (model, c) = ConvHardSwishConv();
        var convOut = c.Name;
        var (run, before) = StaticQuantizationTests.Quantize(model, new QuantizationSettings());
        var q = run.Model.Graph.Nodes.Single(n => n.OpType == "QuantizeLinear" && n.Input(0)!.Name == convOut);
        var scale = q.Input(1)!.GetConstant()!.ToArray<float>()[0];
        var zero = q.Input(2)!.GetConstant()!.ToArray<byte>()[0];
        // The grid starts at -3 (hard-swish's zero region begins there), not at the calibrated minimum.
        Assert.Equal(-3f, -zero * scale, 0.02f);
        var cosine = QuantizationChecks.WorstCosine(before, ModelWriter.ToBytes(run.Model), QuantizationChecks.SeededFeeds(model, 4, firstSeed: 100));
        output.WriteLine($"scale {scale}, zero point {zero}, cosine {cosine:F6}");
        Assert.True(cosine > 0.999, $"cosine {cosine}");
    }
}
