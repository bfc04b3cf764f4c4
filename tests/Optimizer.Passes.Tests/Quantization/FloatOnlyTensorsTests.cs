using Optimizer.Onnx.IR;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Quantization;

public class FloatOnlyTensorsTests(ITestOutputHelper output)
{
    /// <summary>
    /// Attention with an additive mask of float32 min on the last two keys, as exported BERTs have:
    /// q·kᵀ → Mul(4) → Add(mask) → Softmax → MatMul(·, v) → MatMul(W) → out.
    /// </summary>
    private static Model MaskedAttention()
    {
        var b = new GraphBuilder();
        var q = b.Input("q", ElementType.Float, 1, 2, 6, 4);
        var k = b.Input("kt", ElementType.Float, 1, 2, 4, 6);
        var v = b.Input("v", ElementType.Float, 1, 2, 6, 4);
        var scores = b.Op("Mul", [b.Op("MatMul", [q, k]), b.Initializer("four", new[] { 4f })]);
        var mask = b.Initializer("mask", new[] { 0f, 0f, 0f, 0f, float.MinValue, float.MinValue }, 1, 1, 1, 6);
        var masked = b.Op("Add", [scores, mask]);
        var probs = b.Op("Softmax", [masked], ("axis", -1L));
        b.Output(b.Op("MatMul", [b.Op("MatMul", [probs, v]), b.RandomInitializer("w", 1f, 4, 4)]));
        return b.Model;
    }

    [Fact]
    public void AnAdditiveMaskOfFloatMinStaysFloatAndTheAttentionStaysAccurate()
    {
        var model = MaskedAttention();
        var (run, before) = StaticQuantizationTests.Quantize(model, new QuantizationSettings());
        var decline = Assert.Single(run.Declines, d => d.Node.Contains("Add", StringComparison.Ordinal));
        Assert.Contains("sentinel", decline.Reason, StringComparison.Ordinal);
        Assert.Contains(run.Declines, d => d.Node.Contains("Softmax", StringComparison.Ordinal) && d.Reason.Contains("sentinel", StringComparison.Ordinal));
        // Softmax reads the float scores; the probabilities are still quantized for the probs × V MatMul.
        var softmax = run.Model.Graph.Nodes.Single(n => n.OpType == "Softmax");
        Assert.NotEqual("DequantizeLinear", softmax.Input(0)!.Producer?.OpType);
        Assert.Equal("QuantizeLinear", Assert.Single(softmax.Output().Uses).Node.OpType);
        var cosine = QuantizationChecks.WorstCosine(before, Onnx.Serialization.ModelWriter.ToBytes(run.Model), QuantizationChecks.SeededFeeds(model, 4, firstSeed: 100));
        output.WriteLine($"cosine {cosine:F6}");
        Assert.True(cosine > 0.995, $"cosine {cosine}");
    }

    [Fact]
    public void AWideSoftmaxInputIsLeftFloatButANarrowOneIsQuantized()
    {
        foreach (var (scale, quantized) in new[] { (4f, true), (200f, false) })
        {
            var b = new GraphBuilder();
            var x = b.Input("x", ElementType.Float, 2, 8);
            var probs = b.Op("Softmax", [b.Op("Mul", [x, b.Initializer("scale", new[] { scale })])], ("axis", -1L));
            b.Output(b.Op("MatMul", [probs, b.RandomInitializer("w", 1f, 8, 3)]));
            var ranges = new Dictionary<string, ValueRange> { ["x"] = new(-1, 1), [probs.Producer!.Input(0)!.Name] = new(-scale, scale), [probs.Name] = new(0, 1) };
            var plan = QdqPlanner.Plan(b.Model, new QuantizationSettings { Ranges = ranges });
            Assert.Equal(quantized, plan.QuantizedNodes.Contains(probs.Producer.Name));
            if (!quantized)
                Assert.Contains(plan.LeftInFloat, l => l.Node == probs.Producer.Name && l.Reason.Contains("8-bit step", StringComparison.Ordinal));
        }
    }
}
