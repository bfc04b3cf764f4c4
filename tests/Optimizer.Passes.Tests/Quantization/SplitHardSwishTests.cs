using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Quantization;

public class SplitHardSwishTests(ITestOutputHelper output)
{
    /// <summary>x → Conv → HardSwish → Conv, as exporters write it at opset 14 and later (MobileNetV3).</summary>
    private static Model ConvHardSwishConv(bool hardSwishIsOutput = false)
    {
        var b = new GraphBuilder(opset: 14, seed: 21);
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var c = b.Op("Conv", [x, b.RandomInitializer("w1", 1f, 4, 3, 3, 3), b.RandomInitializer("b1", 1f, 4)], ("pads", new[] { 1, 1, 1, 1 }));
        var hs = b.Op("HardSwish", [c]);
        var y = b.Op("Conv", [hs, b.RandomInitializer("w2", 0.5f, 2, 4, 1, 1)]);
        if (hardSwishIsOutput) b.Output(y, hs);
        else b.Output(y);
        return b.Model;
    }

    [Fact]
    public void TheSplitComputesTheSameFunction()
    {
        var model = ConvHardSwishConv(hardSwishIsOutput: true);
        var names = model.Graph.Outputs.Select(o => o.Name).ToList();
        var run = PassHarness.Run(model, new SplitHardSwish());
        Assert.Equal("Conv,HardSigmoid,Mul,Conv", PassHarness.OpSequence(run.Model));
        Assert.Equal(names, run.Model.Graph.Outputs.Select(o => o.Name));
        var error = run.MaxRelativeError();
        output.WriteLine($"largest error relative to the largest output: {error:E2}");
        Assert.InRange(error, 0, 1e-6);
    }

    [Fact]
    public void SplitThenQuantizedAndFoldedOnnxRuntimeRunsNoFloatActivation()
    {
        var model = ConvHardSwishConv();
        var before = ModelWriter.ToBytes(model);
        var split = PassHarness.Run(model, new SplitHardSwish()).Model;
        var (run, _) = StaticQuantizationTests.Quantize(split, new QuantizationSettings());
        var folded = PassHarness.Run(run.Model, new QuantizedAffineFolding()).Model;
        var ran = QuantizationChecks.OrtOptimized(ModelWriter.ToBytes(folded));
        output.WriteLine(QuantizationChecks.Describe(QuantizationChecks.OpCounts(ran)));
        Assert.DoesNotContain(ran.Graph.Nodes, n => n.OpType is "HardSwish" or "HardSigmoid" or "Mul" or "Add");
        Assert.Contains(ran.Graph.Nodes, n => n.OpType == "QLinearMul");
        Assert.Empty(QuantizationChecks.RemainingQdq(ran).Misplaced);
        var feeds = QuantizationChecks.SeededFeeds(model, 4, firstSeed: 60);
        var cosine = QuantizationChecks.WorstCosine(before, ModelWriter.ToBytes(folded), feeds);
        var (unsplit, _) = StaticQuantizationTests.Quantize(ConvHardSwishConv(), new QuantizationSettings());
        var asItWas = QuantizationChecks.WorstCosine(before, ModelWriter.ToBytes(unsplit.Model), feeds);
        output.WriteLine($"cosine against FP32: split {cosine:F6}, HardSwish left float {asItWas:F6}");
        // two more roundings (the gate and the product) than a float HardSwish: close, a little below
        Assert.True(cosine > 0.995 && cosine > asItWas - 0.003, $"cosine {cosine} against {asItWas}");
    }

    [Fact]
    public void WithoutTheSplitTheHardSwishRunsInFloat()
    {
        // the negative: quantized as it is, ONNX Runtime dequantizes around the HardSwish (and inlines it as float ops)
        var (run, _) = StaticQuantizationTests.Quantize(ConvHardSwishConv(), new QuantizationSettings());
        var ran = QuantizationChecks.OrtOptimized(ModelWriter.ToBytes(PassHarness.Run(run.Model, new QuantizedAffineFolding()).Model));
        Assert.Contains(ran.Graph.Nodes, n => n.OpType is "HardSwish" or "HardSigmoid");
        Assert.DoesNotContain(ran.Graph.Nodes, n => n.OpType == "QLinearMul");
    }
}
