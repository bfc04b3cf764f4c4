using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Quantization;

public class QuantizedAffineFoldingTests(ITestOutputHelper output)
{
    /// <summary>x → Conv → hard-swish (HardSigmoid and Mul) → Mul(a) → Add(b) → Conv: PP-LCNet's block with its learnable affine.</summary>
    internal static Model HardSwishAffineBlock(float a = 0.8f, float bias = 0.3f, bool only = false, bool secondBias = false)
    {
        var b = new GraphBuilder(opset: 13, seed: 11);
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var c = b.Op("Conv", [x, b.RandomInitializer("w1", 1f, 4, 3, 3, 3), b.RandomInitializer("b1", 1f, 4)], ("pads", new[] { 1, 1, 1, 1 }));
        var gate = b.Op("HardSigmoid", [c], ("alpha", 1f / 6), ("beta", 0.5f));
        var hs = b.Op("Mul", [c, gate]);
        var scaled = b.Op("Mul", [hs, b.Initializer("lab_scale", new[] { a })]);
        var shifted = only ? scaled : b.Op("Add", [scaled, b.Initializer("lab_bias", new[] { bias })]);
        Value?[] second = secondBias ? [shifted, b.RandomInitializer("w2", 0.5f, 2, 4, 3, 3), b.RandomInitializer("b2", 1f, 2)] : [shifted, b.RandomInitializer("w2", 0.5f, 2, 4, 3, 3)];
        b.Output(b.Op("Conv", second, ("pads", new[] { 1, 1, 1, 1 })));
        return b.Model;
    }

    private static (byte[] Before, byte[] Quantized, Model Folded) QuantizeAndFold(Model model)
    {
        var (run, before) = StaticQuantizationTests.Quantize(model, new QuantizationSettings());
        var quantized = ModelWriter.ToBytes(run.Model);
        var folded = PassHarness.Run(run.Model, new QuantizedAffineFolding()).Model;
        return (before, quantized, folded);
    }

    [Fact]
    public void TheAffineAndTheHardSigmoidLeaveTheIntegersAsTheyWere()
    {
        var model = HardSwishAffineBlock();
        var (before, quantized, folded) = QuantizeAndFold(model);
        var counts = QuantizationChecks.OpCounts(folded);
        output.WriteLine(QuantizationChecks.Describe(counts));
        Assert.False(counts.ContainsKey("HardSigmoid"));
        // the scalar Mul and Add are gone; the hard-swish Mul stays
        Assert.Equal(1, counts["Mul"]);
        var feeds = QuantizationChecks.SeededFeeds(model, 4, firstSeed: 100);
        var plain = QuantizationChecks.WorstCosine(before, quantized, feeds);
        var afterFold = QuantizationChecks.WorstCosine(before, ModelWriter.ToBytes(folded), feeds);
        var againstQuantized = QuantizationChecks.WorstCosine(quantized, ModelWriter.ToBytes(folded), feeds);
        output.WriteLine($"cosine against FP32: quantized {plain:F6}, folded {afterFold:F6}; folded against quantized {againstQuantized:F6}");
        Assert.True(afterFold > 0.999, $"cosine {afterFold}");
        Assert.True(againstQuantized > 0.999, $"cosine {againstQuantized}");
    }

    [Fact]
    public void OnnxRuntimeRunsTheFoldedBlockAsIntegerKernelsOnly()
    {
        var model = HardSwishAffineBlock();
        var (_, quantized, folded) = QuantizeAndFold(model);
        var before = QuantizationChecks.OrtOptimized(quantized);
        var after = QuantizationChecks.OrtOptimized(ModelWriter.ToBytes(folded));
        output.WriteLine($"ONNX Runtime ran before: {QuantizationChecks.Describe(QuantizationChecks.OpCounts(before))}");
        output.WriteLine($"ONNX Runtime ran after:  {QuantizationChecks.Describe(QuantizationChecks.OpCounts(after))}");
        // before: the HardSigmoid ran in float between a DQ and a Q, the affine as a QLinearMul and a QLinearAdd
        Assert.Contains(before.Graph.Nodes, n => n.OpType == "HardSigmoid");
        Assert.DoesNotContain(after.Graph.Nodes, n => n.OpType is "HardSigmoid" or "Mul" or "Add");
        Assert.Equal(1, after.Graph.Nodes.Count(n => n.OpType == "QLinearAdd"));
        Assert.Equal(1, after.Graph.Nodes.Count(n => n.OpType == "QLinearMul"));
        Assert.Empty(QuantizationChecks.RemainingQdq(after).Misplaced);
        Assert.True(after.Graph.Nodes.Count < before.Graph.Nodes.Count - 3, $"{after.Graph.Nodes.Count} nodes against {before.Graph.Nodes.Count}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AConvReadingTheFoldedValueHasItsBiasRequantizedToTheNewScale(bool shift)
    {
        // The range calibrated for the Mul's (or Add's) output need not be the input's mapped through it: an entropy or
        // auto range of a·x is not a times the range of x. The Conv's int32 bias was quantized with that output's scale;
        // once the fold makes the Conv read the input's integers with scale a·s, ONNX Runtime fuses DQ → Conv into a
        // QLinearConv only if the bias scale is that input scale × the weight scale (the PP-OCRv4 recognizer with
        // entropy ranges ran 14 Convs in float, 0.47x of its min/max model).
        var model = HardSwishAffineBlock(a: 0.8f, bias: 0.3f, only: !shift, secondBias: true);
        var plan = QdqPlanner.Plan(model, new QuantizationSettings());
        var feeds = QuantizationChecks.SeededFeeds(model, 8);
        var ranges = QuantizationChecks.MinMax(model, plan.TensorsToCalibrate, feeds);
        var affine = model.Graph.Nodes.Last(n => n.OpType is "Mul" or "Add" && n.Input(1)!.Name is "lab_scale" or "lab_bias").Output().Name;
        ranges[affine] = new ValueRange(ranges[affine].Min * 1.2f, ranges[affine].Max * 1.2f);
        var (run, before) = StaticQuantizationTests.Quantize(model, new QuantizationSettings(), extraRanges: ranges);
        var folded = PassHarness.Run(run.Model, new QuantizedAffineFolding()).Model;

        var ran = QuantizationChecks.OrtOptimized(ModelWriter.ToBytes(folded));
        output.WriteLine($"ONNX Runtime ran: {QuantizationChecks.Describe(QuantizationChecks.OpCounts(ran))}");
        Assert.Equal(2, ran.Graph.Nodes.Count(n => n.OpType == "QLinearConv"));
        Assert.DoesNotContain(ran.Graph.Nodes, n => n.OpType == "Conv");
        var feed = OrtRunner.SeededInputs(model, 3);
        var expected = OrtRunner.Run(before, feed);
        foreach (var (level, outputs) in QuantizationChecks.RunAtEveryLevel(ModelWriter.ToBytes(folded), feed))
            Assert.True(QuantizationChecks.Cosine(expected, outputs) > 0.999, level.ToString());
    }

    [Fact]
    public void TheFoldedModelGivesTheSameResultsAtEveryOrtLevel()
    {
        var model = HardSwishAffineBlock(a: 1.7f, bias: -0.4f);
        var (before, _, folded) = QuantizeAndFold(model);
        var feed = OrtRunner.SeededInputs(model, 3);
        var expected = OrtRunner.Run(before, feed);
        foreach (var (level, outputs) in QuantizationChecks.RunAtEveryLevel(ModelWriter.ToBytes(folded), feed))
        {
            var cosine = QuantizationChecks.Cosine(expected, outputs);
            output.WriteLine($"{level}: cosine {cosine:F6}");
            Assert.True(cosine > 0.999, $"{level}: cosine {cosine}");
        }
    }

    [Fact]
    public void ANegativeScaleAndAShiftBeyondTheGridAreLeftAlone()
    {
        // Mul by -0.8: a negative DequantizeLinear scale is not allowed; Add of 1000: the zero point would leave 0..255.
        foreach (var (a, bias, kept) in new[] { (-0.8f, 0.3f, "Mul"), (0.8f, 1000f, "Add") })
        {
            var model = HardSwishAffineBlock(a, bias);
            var (before, quantized, folded) = QuantizeAndFold(model);
            var counts = QuantizationChecks.OpCounts(folded);
            output.WriteLine($"a {a}, b {bias}: {QuantizationChecks.Describe(counts)}");
            Assert.True(kept == "Mul" ? counts["Mul"] == 2 : counts.GetValueOrDefault("Add") == 2, QuantizationChecks.Describe(counts));
            var feeds = QuantizationChecks.SeededFeeds(model, 3, firstSeed: 40);
            Assert.True(QuantizationChecks.WorstCosine(quantized, ModelWriter.ToBytes(folded), feeds) > 0.9999);
        }
    }

    [Fact]
    public void AHardSigmoidWhoseGridIsNotZeroToOneIsNotRewritten()
    {
        // The gate's range widened to [-0.5, 1.5] (zero point not 0): saturation would no longer be the clip.
        var model = HardSwishAffineBlock();
        var gate = model.Graph.Nodes.Single(n => n.OpType == "HardSigmoid").Output().Name;
        var (run, _) = StaticQuantizationTests.Quantize(model, new QuantizationSettings(), extraRanges: new Dictionary<string, ValueRange> { [gate] = new(-0.5f, 1.5f) });
        var folded = PassHarness.Run(run.Model, new QuantizedAffineFolding()).Model;
        Assert.Contains(folded.Graph.Nodes, n => n.OpType == "HardSigmoid");
    }

    [Fact]
    public void AGraphOutputBehindTheAffineKeepsItsName()
    {
        var b = new GraphBuilder(opset: 13, seed: 2);
        var x = b.Input("x", ElementType.Float, 1, 4, 4, 4);
        var c = b.Op("Conv", [x, b.RandomInitializer("w", 1f, 4, 4, 1, 1)]);
        var y = b.Op("Add", [b.Op("Mul", [c, b.Initializer("s", new[] { 0.5f })]), b.Initializer("t", new[] { 0.1f })]);
        b.Output(b.Op("Conv", [y, b.RandomInitializer("w2", 1f, 4, 4, 1, 1)]), y);
        var model = b.Model;
        var (_, quantized, folded) = QuantizeAndFold(model);
        Assert.Equal(model.Graph.Outputs.Select(o => o.Name), folded.Graph.Outputs.Select(o => o.Name));
        var feeds = QuantizationChecks.SeededFeeds(model, 3, firstSeed: 7);
        Assert.True(QuantizationChecks.WorstCosine(quantized, ModelWriter.ToBytes(folded), feeds) > 0.9999);
    }
}
