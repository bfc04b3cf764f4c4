using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Quantization;

/// <summary>
/// GPTQ as <c>--weight-rounding gptq</c> composes it: each layer's input second moments collected in ONNX Runtime
/// (<see cref="InputGrams"/>, checked against ONNX Runtime's own Conv/MatMul), the weights rounded (<see cref="Gptq"/>,
/// <see cref="WeightRounding.Round"/>), stored (<see cref="WeightRounding"/>), the model quantized; then checked on
/// other feeds than it was rounded on.
/// </summary>
public class GptqTests(ITestOutputHelper output)
{
    /// <summary>Inputs whose K values are correlated (a few shared factors plus noise), as real activations are.</summary>
    private static double[] CorrelatedGram(int k, int rows, int seed)
    {
        var random = new Random(seed);
        var factors = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, k).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
        var gram = new double[k * k];
        var x = new double[k];
        for (var r = 0; r < rows; r++)
        {
            var f = factors.Select(_ => random.NextDouble() * 2 - 1).ToArray();
            for (var i = 0; i < k; i++) x[i] = f[0] * factors[0][i] + f[1] * factors[1][i] + f[2] * factors[2][i] + 0.1 * (random.NextDouble() - 0.5);
            for (var i = 0; i < k; i++)
                for (var j = 0; j < k; j++) gram[i * k + j] += x[i] * x[j];
        }
        return gram;
    }

    [Fact]
    public void RoundedWeightsAreTheIntegersOfTheNearestScalesAndCutTheOutputError()
    {
        const int rows = 12, k = 40;
        var random = new Random(3);
        var w = Enumerable.Range(0, rows * k).Select(_ => (float)(random.NextDouble() * 2 - 1) * 0.3f).ToArray();
        var nearest = WeightQuantizer.Quantize(w, [rows, k], 0);
        var pinned = Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, k).MaxBy(i => Math.Abs(w[r * k + i]))).ToArray();
        var result = Gptq.Round(w, rows, k, CorrelatedGram(k, 500, 4), nearest.Scales, pinned);

        // quantized again with the usual scales, the new weights give exactly these integers and the same scales
        var again = WeightQuantizer.Quantize(result.Weights, [rows, k], 0);
        for (var r = 0; r < rows; r++) Assert.Equal(nearest.Scales[r], again.Scales[r], 1e-6f * nearest.Scales[r]);
        for (var i = 0; i < w.Length; i++) Assert.Equal(result.Weights[i], again.Values[i] * again.Scales[i / k], 1e-6f);
        Assert.Contains(again.Values, v => v == 127 || v == -127);
        Assert.NotEqual(nearest.Values, again.Values);
        output.WriteLine($"output error tr(E H Eᵀ): nearest {result.NearestError:G4}, GPTQ {result.Error:G4}");
        Assert.True(result.Error < 0.5 * result.NearestError, $"{result.NearestError} -> {result.Error}");
    }

    [Fact]
    public void TheFactorIsTheUpperCholeskyFactorOfTheInverse()
    {
        const int k = 17;
        var h = CorrelatedGram(k, 200, 9);
        for (var i = 0; i < k; i++) h[i * k + i] += 0.5;
        var u = Gptq.InverseCholeskyUpper(h, k);
        // H (UᵀU) = I
        for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++)
            {
                var sum = 0d;
                for (var m = 0; m < k; m++)
                {
                    var inverse = 0d;
                    for (var t = 0; t < k; t++) inverse += u[t * k + m] * u[t * k + j];
                    sum += h[i * k + m] * inverse;
                }
                Assert.Equal(i == j ? 1 : 0, sum, 1e-8);
            }
        for (var i = 1; i < k; i++) Assert.Equal(0, u[i * k + i - 1]);
    }

    /// <summary>
    /// wᵀ G w is the sum of squares of the output a weight row w gives: checked against ONNX Runtime computing that
    /// output, for convolutions with pads, strides, dilations, groups and auto_pad, 1-D ones, a Gemm with transA and a
    /// MatMul of a rank-3 input, read as a graph input and as an intermediate tensor.
    /// </summary>
    [Theory]
    [InlineData("conv")]
    [InlineData("conv-strided")]
    [InlineData("conv-same")]
    [InlineData("depthwise")]
    [InlineData("conv1d")]
    [InlineData("gemm-transA")]
    [InlineData("matmul")]
    public void GramsGiveTheSquaredOutputsOnnxRuntimeComputes(string kind)
    {
        var b = new GraphBuilder(opset: 13, seed: 11);
        var (x, w) = kind switch
        {
            "conv" => (b.Input("x", ElementType.Float, 2, 4, 7, 6), b.RandomInitializer("w", 1f, 6, 4, 3, 3)),
            "conv-strided" => (b.Input("x", ElementType.Float, 1, 4, 9, 8), b.RandomInitializer("w", 1f, 6, 2, 3, 2)),
            "conv-same" => (b.Input("x", ElementType.Float, 1, 3, 7, 8), b.RandomInitializer("w", 1f, 5, 3, 3, 4)),
            "depthwise" => (b.Input("x", ElementType.Float, 1, 6, 8, 8), b.RandomInitializer("w", 1f, 6, 1, 3, 3)),
            "conv1d" => (b.Input("x", ElementType.Float, 2, 3, 11), b.RandomInitializer("w", 1f, 4, 3, 3)),
            "gemm-transA" => (b.Input("x", ElementType.Float, 5, 3), b.RandomInitializer("w", 1f, 5, 4)),
            _ => (b.Input("x", ElementType.Float, 2, 3, 5), b.RandomInitializer("w", 1f, 5, 4)),
        };
        var read = b.Op("Relu", [x]);
        var y = kind switch
        {
            "conv" => b.Op("Conv", [read, w], ("pads", new[] { 1, 0, 2, 1 })),
            "conv-strided" => b.Op("Conv", [read, w], ("pads", new[] { 1, 1, 0, 1 }), ("strides", new[] { 2, 3 }), ("dilations", new[] { 2, 1 }), ("group", 2)),
            "conv-same" => b.Op("Conv", [x, w], ("auto_pad", "SAME_UPPER"), ("strides", new[] { 2, 2 })),
            "depthwise" => b.Op("Conv", [read, w], ("pads", new[] { 1, 1, 1, 1 }), ("group", 6)),
            "conv1d" => b.Op("Conv", [x, w], ("pads", new[] { 2, 1 }), ("dilations", new[] { 2 })),
            "gemm-transA" => b.Op("Gemm", [read, w], ("transA", 1), ("transB", 0)),
            _ => b.Op("MatMul", [read, w]),
        };
        b.Output(y);
        var model = b.Model;
        var node = model.Graph.Nodes.Single(n => n.OpType is "Conv" or "Gemm" or "MatMul");
        Assert.Null(WeightRounding.Shape(node, out var rows, out var inputs, out var groups));
        var geometry = node.OpType == "Conv"
            ? new PatchGeometry(groups, Patterns.Constant(node.Input(1))!.Dims.Skip(2).Select(d => (int)d).ToArray(),
                Ints(node, "strides"), Ints(node, "dilations"), Ints(node, "pads"), node.GetString("auto_pad", "NOTSET"), false)
            : PatchGeometry.Matrix(node.GetInt("transA", 0) != 0);
        var feeds = QuantizationChecks.SeededFeeds(model, 2);
        var grams = InputGrams.Collect(ModelWriter.ToBytes(model), [new GramSite("site", node.Input(0)!.Name, inputs, geometry)],
            feeds.Select(QuantizationChecks.ToSample), SessionSettings.ForComparison)["site"];

        var matrix = WeightRounding.Matrix(node);
        var sums = new double[rows];
        foreach (var feed in feeds)
        {
            var result = OrtRunner.Run(model, feed).Values.Single();
            var values = result.AsDoubles();
            // output channels on axis 1 of a Conv's output, on the last axis of a MatMul's or Gemm's
            var (channels, inner) = node.OpType == "Conv" ? ((int)result.Dims[1], (int)result.Dims.Skip(2).Aggregate(1L, (p, d) => p * d)) : (rows, 1);
            for (var i = 0; i < values.Length; i++) sums[i / inner % channels] += values[i] * values[i];
        }
        var per = rows / groups;
        for (var r = 0; r < rows; r++)
        {
            var g = grams[r / per];
            var quadratic = 0d;
            for (var i = 0; i < inputs; i++)
                for (var j = 0; j < inputs; j++) quadratic += matrix[r * inputs + i] * g[i * inputs + j] * matrix[r * inputs + j];
            Assert.Equal(sums[r], quadratic, Math.Max(1e-9, 1e-4 * sums[r]));
        }
    }

    private static int[] Ints(Node node, string name) => node.GetInts(name)?.Select(v => (int)v).ToArray() ?? [];

    /// <summary>x → Conv → Relu → Conv (grouped) → Relu → Gemm: weights of many inputs a row, inputs correlated by the layers before.</summary>
    private static Model ConvsAndGemm()
    {
        var b = new GraphBuilder(opset: 13, seed: 21);
        var x = b.Input("x", ElementType.Float, 1, 3, 12, 12);
        var c1 = b.Op("Relu", [b.Op("Conv", [x, b.RandomInitializer("w1", 0.4f, 16, 3, 3, 3), b.RandomInitializer("b1", 0.1f, 16)], ("pads", new[] { 1, 1, 1, 1 }))]);
        var c2 = b.Op("Relu", [b.Op("Conv", [c1, b.RandomInitializer("w2", 0.2f, 16, 8, 3, 3), b.RandomInitializer("b2", 0.1f, 16)], ("pads", new[] { 1, 1, 1, 1 }), ("strides", new[] { 2, 2 }), ("group", 2))]);
        var flat = b.Op("Flatten", [c2]);
        b.Output(b.Op("Gemm", [flat, b.RandomInitializer("w3", 0.05f, 10, 576), b.RandomInitializer("b3", 0.1f, 10)], ("transB", 1)));
        return b.Model;
    }

    private static (Model Model, PassHarness Run) Rounded(Model model, QuantizationSettings settings, IReadOnlyList<IReadOnlyDictionary<string, TestTensor>> calibration)
    {
        var sites = WeightRounding.Sites(model, settings);
        var byName = model.Graph.Nodes.ToDictionary(n => n.Name);
        var grams = InputGrams.Collect(ModelWriter.ToBytes(model), sites.Select(s => new GramSite(s.Node, s.Input, s.Inputs,
                byName[s.Node].OpType == "Conv"
                    ? new PatchGeometry(s.Groups, [3, 3], Ints(byName[s.Node], "strides"), [], Ints(byName[s.Node], "pads"), "NOTSET", false)
                    : PatchGeometry.Matrix(false))).ToList(),
            calibration.Select(QuantizationChecks.ToSample), SessionSettings.ForComparison);
        var weights = sites.ToDictionary(s => s.Node, s => WeightRounding.Round(byName[s.Node], s, grams[s.Node]).Weight);
        var copy = QuantizationChecks.Copy(model);
        return (copy, PassHarness.Run(copy, new WeightRounding(weights)));
    }

    private static double MeanSquaredError(byte[] reference, byte[] candidate, IEnumerable<IReadOnlyDictionary<string, TestTensor>> feeds) =>
        feeds.Average(feed =>
        {
            var (e, a) = (OrtRunner.Run(reference, feed).Values.Single().AsDoubles(), OrtRunner.Run(candidate, feed).Values.Single().AsDoubles());
            return e.Zip(a, (p, q) => (p - q) * (p - q)).Average();
        });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundedModelsComputeCloserToFp32OnOtherInputsAtEveryLevel(bool perTensor)
    {
        var model = ConvsAndGemm();
        Pipelines.RunDefault(model);
        var reference = ModelWriter.ToBytes(model);
        var plain = new QuantizationSettings { PerTensorWeights = perTensor };
        var calibration = QuantizationChecks.SeededFeeds(model, 24, firstSeed: 1);
        var settings = plain with { Ranges = QuantizationChecks.MinMax(model, QdqPlanner.Plan(model, plain).TensorsToCalibrate, calibration) };

        var (rounded, run) = Rounded(model, settings, calibration);
        Assert.Equal(3, run.Records.Single().NodesRewritten);
        Assert.Empty(run.Declines);
        var (nearestModel, gptqModel) = (QuantizationChecks.Quantized(model, settings), QuantizationChecks.Quantized(rounded, settings));
        // the graphs are the same: only int8 values differ, and the scales are the same
        Assert.Equal(QuantizationChecks.OpCounts(nearestModel), QuantizationChecks.OpCounts(gptqModel));
        var scales = (Model m) => m.Graph.Initializers.Where(v => v.Name.EndsWith("_scale")).Select(v => v.Initializer!.ToArray<float>()).SelectMany(s => s).Order().ToArray();
        Assert.Equal(scales(nearestModel), scales(gptqModel));

        var held = QuantizationChecks.SeededFeeds(model, 16, firstSeed: 201);
        var before = MeanSquaredError(reference, ModelWriter.ToBytes(nearestModel), held);
        var after = MeanSquaredError(reference, ModelWriter.ToBytes(gptqModel), held);
        output.WriteLine($"output mean squared error on held-out feeds: nearest {before:G4}, GPTQ {after:G4}");
        // one weight scale per tensor rounds coarsely (most of the error is the weights'); per channel, the activations' share is larger
        Assert.True(after < (perTensor ? 0.8 : 0.95) * before, $"{before} -> {after}");

        var levels = QuantizationChecks.RunAtEveryLevel(ModelWriter.ToBytes(gptqModel), held[0]);
        var expected = levels.First().Value.Values.Single().AsDoubles();
        foreach (var (level, result) in levels)
            Assert.True(result.Values.Single().AsDoubles().Zip(expected, (p, q) => Math.Abs(p - q)).Max() < 0.05, $"{level}");
    }

    [Fact]
    public void AWeightOfTheWrongSizeIsDeclinedAndTheModelKept()
    {
        var model = ConvsAndGemm();
        var conv = model.Graph.Nodes.First(n => n.OpType == "Conv");
        var run = PassHarness.Run(model, new WeightRounding(new Dictionary<string, float[]> { [conv.Name] = new float[5] }));
        Assert.Equal(0, run.Records.Single().NodesRewritten);
        Assert.Contains(run.Declines, d => d.Reason.Contains("not the float constant"));
        Assert.Equal(0, run.MaxRelativeError());
    }

    [Fact]
    public void ASharedWeightIsCopiedForTheNodeRounded()
    {
        var b = new GraphBuilder(opset: 13, seed: 2);
        var x = b.Input("x", ElementType.Float, 2, 4);
        var w = b.RandomInitializer("w", 1f, 4, 4);
        b.Output(b.Op("MatMul", [b.Op("MatMul", [x, w]), w]));
        var model = b.Model;
        var first = model.Graph.Nodes[0];
        var rounded = WeightRounding.Matrix(first).Select(v => MathF.Round(v * 10) / 10).ToArray();
        var run = PassHarness.Run(model, new WeightRounding(new Dictionary<string, float[]> { [first.Name] = WeightRounding.Layout(first, rounded) }));
        Assert.Equal(1, run.Records.Single().NodesRewritten);
        Assert.Equal("w", model.Graph.Nodes[1].Input(1)!.Name);
        Assert.NotEqual("w", first.Input(1)!.Name);
        Assert.Equal(WeightRounding.Layout(first, rounded), first.Input(1)!.Initializer!.ToArray<float>());
    }

    [Fact]
    public void LayersReadingOneTensorAlikeShareOneMatrix()
    {
        var b = new GraphBuilder(opset: 13, seed: 4);
        var x = b.Input("x", ElementType.Float, 3, 4);
        var h = b.Op("Relu", [x]);
        b.Output(b.Op("MatMul", [h, b.RandomInitializer("q", 1f, 4, 4)]), b.Op("MatMul", [h, b.RandomInitializer("k", 1f, 4, 2)]), b.Op("Gemm", [h, b.RandomInitializer("v", 1f, 3, 2)], ("transA", 1)));
        var sites = new[] { new GramSite("q", h.Name, 4, PatchGeometry.Matrix(false)), new GramSite("k", h.Name, 4, PatchGeometry.Matrix(false)), new GramSite("v", h.Name, 3, PatchGeometry.Matrix(true)) };
        var grams = InputGrams.Collect(ModelWriter.ToBytes(b.Model), sites, QuantizationChecks.SeededFeeds(b.Model, 2).Select(QuantizationChecks.ToSample), SessionSettings.ForComparison);
        Assert.Same(grams["q"], grams["k"]);
        Assert.NotSame(grams["q"], grams["v"]);
        Assert.Equal(16, grams["q"][0].Length);
        Assert.Equal(9, grams["v"][0].Length);
    }

    [Fact]
    public void A3dConvolutionIsNoSite()
    {
        var b = new GraphBuilder(opset: 13, seed: 2);
        var x = b.Input("x", ElementType.Float, 1, 2, 4, 4, 4);
        b.Output(b.Op("Conv", [x, b.RandomInitializer("w", 1f, 3, 2, 2, 2, 2)]));
        var node = b.Model.Graph.Nodes.Single();
        Assert.Contains("1-D and 2-D", WeightRounding.Shape(node, out _, out _, out _));
    }
}
