using Optimizer.Onnx.IR;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Quantization;

public class CrossLayerEqualizationTests
{
    /// <summary>x → Conv (channels of very different scale) → [between] → depthwise or full Conv.</summary>
    private static Model Pair(string? between, long group2)
    {
        var b = new GraphBuilder(opset: 13, seed: 11);
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var w1 = b.RandomFloats([6, 3, 3, 3], 1f);
        for (var i = 0; i < w1.Length; i++) w1[i] *= MathF.Pow(10, i / 27 % 6 - 3); // channel ranges 1e-3 … 1e2
        var c1 = b.Op("Conv", [x, b.Initializer("w1", w1, 6, 3, 3, 3), b.RandomInitializer("b1", 0.5f, 6)], ("pads", new[] { 1, 1, 1, 1 }));
        var mid = between switch
        {
            null => c1,
            "HardSwish" => b.Op("Mul", [c1, b.Op("HardSigmoid", [c1], ("alpha", 1f / 6), ("beta", 0.5f))]),
            var op => b.Op(op, [c1]),
        };
        var w2Dims = new long[] { group2 == 1 ? 4 : 12, 6 / group2, 3, 3 };
        b.Output(b.Op("Conv", [mid, b.RandomInitializer("w2", 0.5f, w2Dims), b.RandomInitializer("b2", 0.5f, w2Dims[0])], ("group", group2)));
        return b.Model;
    }

    private static float[] ChannelRanges(Model model, string name, int axis)
    {
        var t = model.Graph.Initializers.Single(v => v.Name == name).Initializer!;
        var w = t.ToArray<float>();
        var channels = (int)t.Dims[axis];
        var inner = (int)t.Dims.Skip(axis + 1).Aggregate(1L, (a, d) => a * d);
        var r = new float[channels];
        for (var i = 0; i < w.Length; i++) r[i / inner % channels] = Math.Max(r[i / inner % channels], Math.Abs(w[i]));
        return r;
    }

    [Theory]
    [InlineData(null, 1)]
    [InlineData("Relu", 1)]
    [InlineData(null, 6)]      // depthwise (channel multiplier 2)
    [InlineData("Relu", 3)]    // grouped
    public void EqualizedPairsComputeTheSameAndShareTheirChannelRanges(string? between, long group2)
    {
        var model = Pair(between, group2);
        var before = ChannelRanges(model, "w1", 0);
        var run = PassHarness.Run(model, new CrossLayerEqualization());
        Assert.True(run.Records.Single().Changed, string.Join("; ", run.Declines.Select(d => d.Reason)));
        run.AssertSameOutputs(1e-5);
        var after = ChannelRanges(run.Model, "w1", 0);
        // The first Conv's channel ranges spanned five decades; equalized (√(r1·r2)) about half as many.
        Assert.True(before.Max() / before.Min() > 1e4);
        Assert.True(after.Max() / after.Min() < 1e3, string.Join(", ", after));
        if (group2 == 1)
        {
            // Each channel's range is now the same in both weights (r1 = r2 = √(r1·r2)).
            var second = ChannelRanges(run.Model, "w2", 1);
            for (var i = 0; i < after.Length; i++) Assert.Equal(after[i], second[i], after[i] * 1e-5f);
        }
    }

    [Theory]
    [InlineData("HardSwish")]
    [InlineData("Sigmoid")]
    public void ANonHomogeneousActivationBetweenIsDeclinedAndNothingChanges(string between)
    {
        var model = Pair(between, 1);
        var w1 = model.Graph.Initializers.Single(v => v.Name == "w1").Initializer!.ToArray<float>();
        var run = PassHarness.Run(model, new CrossLayerEqualization());
        Assert.False(run.Records.Single().Changed);
        run.AssertDeclined("not positively homogeneous");
        Assert.Equal(w1, run.Model.Graph.Initializers.Single(v => v.Name == "w1").Initializer!.ToArray<float>());
    }

    [Fact]
    public void AFirstConvOutputReadElsewhereIsDeclined()
    {
        var b = new GraphBuilder(opset: 13, seed: 3);
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var c1 = b.Op("Conv", [x, b.RandomInitializer("w1", 1f, 4, 3, 1, 1)]);
        b.Output(b.Op("Conv", [c1, b.RandomInitializer("w2", 1f, 4, 4, 1, 1)]), c1);
        var run = PassHarness.Run(b.Model, new CrossLayerEqualization());
        Assert.False(run.Records.Single().Changed);
        run.AssertDeclined("another consumer");
        run.AssertSameOutputs(0);
    }
}
