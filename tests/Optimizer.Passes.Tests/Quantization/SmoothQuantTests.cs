using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Quantization;

public class SmoothQuantTests
{
    private const int Channels = 8;

    /// <summary>Per-channel maxima with two outlier channels, as pretrained transformers have.</summary>
    private static float[] Outliers(float small = 1f, float large = 40f) =>
        Enumerable.Range(0, Channels).Select(j => j is 2 or 5 ? large : small * (1 + j / 8f)).ToArray();

    /// <summary>
    /// x → LayerNormalization(γ, β) → ln ─┬→ MatMul(Wq) ─→ q
    ///                                     ├→ MatMul(Wk) → Add(bk) → k → MatMul(Wo) → o
    ///                                     └→ Add(residual with x) → r → Mul(γ2) → Add(β2) → g → MatMul(Wg) → y
    /// Three sites: the LayerNorm output (two weights and a residual reader), the biased MatMul output, the Mul/Add.
    /// </summary>
    private static Model Transformerish()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 3, 5, Channels);
        var ln = b.Op("LayerNormalization", [x, b.RandomInitializer("gamma", 1f, Channels), b.RandomInitializer("beta", 0.5f, Channels)], ("axis", -1L));
        var q = b.Op("MatMul", [ln, b.RandomInitializer("wq", 0.5f, Channels, 6)]);
        var k = b.Op("Add", [b.Op("MatMul", [ln, b.RandomInitializer("wk", 0.5f, Channels, Channels)]), b.RandomInitializer("bk", 0.5f, Channels)]);
        var o = b.Op("MatMul", [k, b.RandomInitializer("wo", 0.5f, Channels, 4)]);
        var r = b.Op("Add", [ln, x]);
        var g = b.Op("Add", [b.Op("Mul", [r, b.RandomInitializer("gamma2", 1f, Channels)]), b.RandomInitializer("beta2", 0.5f, Channels)]);
        var y = b.Op("MatMul", [g, b.RandomInitializer("wg", 0.5f, Channels, 3)]);
        b.Output(q, o, y);
        return b.Model;
    }

    [Fact]
    public void SmoothingKeepsTheFp32OutputsAndMovesTheOutliersIntoTheWeights()
    {
        var model = Transformerish();
        var sites = SmoothQuant.Sites(model);
        Assert.Equal(3, sites.Count);
        var maxima = sites.ToDictionary(s => s, _ => Outliers());
        var wq = Patterns.Constant(model.Graph.Nodes.First(n => n.OpType == "MatMul").Input(1))!.ToArray<float>();

        var run = PassHarness.Run(model, new SmoothQuant(0.5f, maxima));

        Assert.Equal(3, run.Records.Single(r => r.Name == "smooth-quant").NodesRewritten);
        // The residual Add reads the LayerNorm output back through one Mul.
        Assert.Equal(1, run.Model.Graph.Nodes.Count(n => n.OpType == "Mul" && n.Name.EndsWith("_unsmooth", StringComparison.Ordinal)));
        var smoothed = Patterns.Constant(run.Model.Graph.Nodes.First(n => n.OpType == "MatMul").Input(1))!.ToArray<float>();
        // Row 2 (an outlier channel, max 40) grew about sqrt(40) times more than row 0 (max 1).
        var (grown, small) = (smoothed[2 * 6] / wq[2 * 6], smoothed[0] / wq[0]);
        Assert.InRange(grown / small, 3, 20);
        run.AssertSameOutputs(1e-5);
        run.AssertSameOutputs(1e-5, seed: 7);
    }

    [Fact]
    public void AScalarMulAndABiasBeforeAGemmWithATransposedWeightAbsorbTheScale()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 4, Channels);
        var scaled = b.Op("Add", [b.Op("Mul", [x, b.Initializer("half", new[] { 0.5f })]), b.RandomInitializer("beta", 1f, Channels)]);
        b.Output(b.Op("Gemm", [scaled, b.RandomInitializer("w", 1f, 3, Channels), b.RandomInitializer("c", 1f, 3)], ("transB", 1L)));
        var run = PassHarness.Run(b.Model, new SmoothQuant(0.8f, new Dictionary<string, float[]> { [scaled.Name] = Outliers() }));
        Assert.Equal(1, run.Records.Single(r => r.Name == "smooth-quant").NodesRewritten);
        run.AssertSameOutputs(1e-5);
    }

    [Fact]
    public void AnActivationFromANonlinearOpIsDeclinedWithTheReason()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 4, Channels);
        var relu = b.Op("Relu", [x]);
        b.Output(b.Op("MatMul", [relu, b.RandomInitializer("w", 1f, Channels, 3)]));
        Assert.Empty(SmoothQuant.Sites(b.Model));
        var before = PassHarness.OpSequence(b.Model);
        var run = PassHarness.Run(b.Model, new SmoothQuant(0.5f, new Dictionary<string, float[]> { [relu.Name] = Outliers() }));
        Assert.Equal(0, run.Records.Single(r => r.Name == "smooth-quant").NodesRewritten);
        Assert.Equal(before, run.Ops);
        run.AssertDeclined("comes from Relu, which cannot absorb a per-channel scale");
    }

    [Fact]
    public void ASiteWithoutCalibratedMaximaIsDeclined()
    {
        var model = Transformerish();
        var run = PassHarness.Run(model, new SmoothQuant(0.5f, new Dictionary<string, float[]>()));
        Assert.Equal(0, run.Records.Single(r => r.Name == "smooth-quant").NodesRewritten);
        run.AssertDeclined("no per-channel maximum");
    }
}
