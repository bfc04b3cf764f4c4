using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Quantization;

/// <summary>
/// Bias correction as <c>--bias-correction</c> composes it: each int8 Conv/Gemm's own mean channel error measured in ONNX
/// Runtime beside the FP32 node (<see cref="BiasCorrectionProbe"/>, <see cref="ChannelMeans"/>) on calibration feeds,
/// subtracted from the bias (<see cref="BiasCorrection"/>), the model quantized again; then checked on other feeds.
/// </summary>
public class BiasCorrectionTests(ITestOutputHelper output)
{
    /// <summary>x → Conv (bias) → Relu → Conv whose output channels differ in scale by 100x (bias) → Gemm-free output.</summary>
    private static Model TwoConvs(bool secondBias = true)
    {
        var b = new GraphBuilder(opset: 13, seed: 5);
        var x = b.Input("x", ElementType.Float, 1, 4, 8, 8);
        var c1 = b.Op("Conv", [x, b.RandomInitializer("w1", 0.5f, 8, 4, 3, 3), b.RandomInitializer("b1", 0.2f, 8)], ("pads", new[] { 1, 1, 1, 1 }));
        var r = b.Op("Relu", [c1]);
        var w2 = b.RandomFloats([8, 8, 3, 3], 1f);
        for (var i = 0; i < w2.Length; i++) w2[i] *= i / 72 % 2 == 0 ? 1f : 0.01f; // every other output channel 100x smaller
        Value?[] inputs = secondBias ? [r, b.Initializer("w2", w2, 8, 8, 3, 3), b.RandomInitializer("b2", 0.1f, 8)] : [r, b.Initializer("w2", w2, 8, 8, 3, 3)];
        b.Output(b.Op("Conv", inputs, ("pads", new[] { 1, 1, 1, 1 })));
        return b.Model;
    }

    /// <summary>The shifts bias correction measures on <paramref name="calibration"/>, applied to a copy of the FP32 model.</summary>
    private (Model Corrected, PassHarness Run) Correct(Model model, QuantizationSettings settings, IReadOnlyList<IReadOnlyDictionary<string, TestTensor>> calibration)
    {
        var sites = BiasCorrection.Sites(model, settings);
        Assert.NotEmpty(sites);
        var (probe, probed) = BiasCorrectionProbe.Build(model, QuantizationChecks.Quantized(model, settings), sites);
        Assert.Equal(sites.Count, probed.Count);
        var means = ChannelMeans.Collect(ModelWriter.ToBytes(probe), probed.SelectMany(p => new[] { p.Float, p.Quantized }).ToList(),
            calibration.Select(QuantizationChecks.ToSample), SessionSettings.ForComparison);
        var shifts = probed.ToDictionary(p => p.Site.Node, p => means[p.Quantized].Zip(means[p.Float], (q, f) => (float)(q - f)).ToArray());
        var corrected = QuantizationChecks.Copy(model);
        var run = PassHarness.Run(corrected, new BiasCorrection(shifts));
        return (corrected, run);
    }

    /// <summary>Mean over the output's channels of |mean over feeds and positions of (quantized − FP32)|, channels on axis 1.</summary>
    private static double MeanChannelError(byte[] reference, byte[] quantized, IEnumerable<IReadOnlyDictionary<string, TestTensor>> feeds)
    {
        double[]? sums = null;
        long perChannel = 0;
        foreach (var feed in feeds)
        {
            var (e, a) = (OrtRunner.Run(reference, feed).Values.Single(), OrtRunner.Run(quantized, feed).Values.Single());
            var channels = (int)e.Dims[1];
            var inner = (int)(e.Dims.Skip(2).Aggregate(1L, (x, y) => x * y));
            var (ev, av) = (e.AsDoubles(), a.AsDoubles());
            sums ??= new double[channels];
            for (var i = 0; i < ev.Length; i++) sums[i / inner % channels] += av[i] - ev[i];
            perChannel += ev.Length / channels;
        }
        return sums!.Average(s => Math.Abs(s / perChannel));
    }

    [Fact]
    public void CorrectedBiasesCutTheMeanChannelErrorOnOtherInputs()
    {
        var model = TwoConvs();
        var reference = ModelWriter.ToBytes(model);
        // one weight scale per tensor: the small channels' weights round coarsely, and their error does not average out
        var plain = new QuantizationSettings { PerTensorWeights = true };
        var plan = QdqPlanner.Plan(model, plain);
        var calibration = QuantizationChecks.SeededFeeds(model, 16, firstSeed: 1);
        var settings = plain with { Ranges = QuantizationChecks.MinMax(model, plan.TensorsToCalibrate, calibration) };

        var (corrected, run) = Correct(model, settings, calibration);
        Assert.Equal(2, run.Records.Single().NodesRewritten);
        Assert.Empty(run.Declines);
        // the FP32 model now computes something else on purpose (the bias moved)
        Assert.True(run.MaxRelativeError() > 0);

        var held = QuantizationChecks.SeededFeeds(model, 16, firstSeed: 101);
        var before = MeanChannelError(reference, ModelWriter.ToBytes(QuantizationChecks.Quantized(model, settings)), held);
        var after = MeanChannelError(reference, ModelWriter.ToBytes(QuantizationChecks.Quantized(corrected, settings)), held);
        output.WriteLine($"mean |channel error| of the output on held-out feeds: {before:G4} -> {after:G4}");
        Assert.True(after < 0.5 * before, $"{before} -> {after}");
    }

    // Measured here (min/max ranges, 10 images to calibrate, 9 others to check): mean |channel error| of the logits
    // 0.0104 -> 0.0100, worst cosine 0.963 -> 0.960. Per-channel int8 weights leave little mean error to remove: the
    // error mobilenet_v2 accumulates is noise, not bias. The test holds the part bias correction promises.
    [Fact]
    public void OnMobilenetTheLogitsMeanChannelErrorFalls()
    {
        var model = ModelReader.Read(TestPaths.SharedModel("mobilenet_v2.onnx"));
        Pipelines.RunDefault(model);
        var reference = ModelWriter.ToBytes(model);
        var input = model.Graph.Inputs[0].Name;
        var plan = QdqPlanner.Plan(model, new QuantizationSettings());
        var calibration = QuantizationChecks.ImageFeeds(input, 0, 10);
        var settings = new QuantizationSettings { Ranges = QuantizationChecks.MinMax(model, plan.TensorsToCalibrate, calibration) };

        var (corrected, run) = Correct(model, settings, calibration);
        Assert.Equal(BiasCorrection.Sites(model, settings).Count, run.Records.Single().NodesRewritten);

        var held = QuantizationChecks.ImageFeeds(input, 10, 9);
        var (plainModel, correctedModel) = (ModelWriter.ToBytes(QuantizationChecks.Quantized(model, settings)), ModelWriter.ToBytes(QuantizationChecks.Quantized(corrected, settings)));
        var (before, after) = (MeanChannelError(reference, plainModel, held), MeanChannelError(reference, correctedModel, held));
        var (cosBefore, cosAfter) = (QuantizationChecks.WorstCosine(reference, plainModel, held), QuantizationChecks.WorstCosine(reference, correctedModel, held));
        output.WriteLine($"logits over 9 held-out images: mean |channel error| {before:G4} -> {after:G4}, worst cosine {cosBefore:F4} -> {cosAfter:F4}");
        Assert.True(after < before, $"{before} -> {after}");
        Assert.True(cosAfter > 0.95, $"{cosBefore} -> {cosAfter}");
    }

    [Fact]
    public void AConvWithoutBiasIsNoSiteAndIsDeclinedUnchanged()
    {
        var model = TwoConvs(secondBias: false);
        var settings = new QuantizationSettings { Ranges = QuantizationChecks.MinMax(model, QdqPlanner.Plan(model, new()).TensorsToCalibrate, QuantizationChecks.SeededFeeds(model, 2)) };
        var sites = BiasCorrection.Sites(model, settings);
        var second = model.Graph.Nodes.Last(n => n.OpType == "Conv");
        Assert.DoesNotContain(sites, s => s.Node == second.Name);
        Assert.Single(sites);

        var run = PassHarness.Run(model, new BiasCorrection(new Dictionary<string, float[]> { [second.Name] = new float[8] }));
        Assert.Equal(0, run.Records.Single().NodesRewritten);
        Assert.Contains(run.Declines, d => d.Reason.Contains("no bias"));
        Assert.Equal(0, run.MaxRelativeError());
    }

    [Fact]
    public void AShiftOfTheWrongLengthIsDeclinedAndTheBiasKept()
    {
        var model = TwoConvs();
        var first = model.Graph.Nodes.First(n => n.OpType == "Conv");
        var run = PassHarness.Run(model, new BiasCorrection(new Dictionary<string, float[]> { [first.Name] = new float[3] }));
        Assert.Equal(0, run.Records.Single().NodesRewritten);
        Assert.Contains(run.Declines, d => d.Reason.Contains("3 channels"));
        Assert.Equal(0, run.MaxRelativeError());
    }
}
