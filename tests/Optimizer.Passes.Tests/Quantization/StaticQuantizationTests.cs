using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Quantization;

public class StaticQuantizationTests(ITestOutputHelper output)
{
    /// <summary>Plans, calibrates min/max on seeded inputs, and quantizes through the harness (verifier, write/read).</summary>
    internal static (PassHarness Run, byte[] Float) Quantize(Model model, QuantizationSettings settings, int feeds = 8,
        IReadOnlyDictionary<string, ValueRange>? extraRanges = null)
    {
        var plan = QdqPlanner.Plan(model, settings);
        var ranges = QuantizationChecks.MinMax(model, plan.TensorsToCalibrate.Where(n => extraRanges?.ContainsKey(n) != true),
            QuantizationChecks.SeededFeeds(model, feeds));
        foreach (var (name, range) in extraRanges ?? new Dictionary<string, ValueRange>()) ranges[name] = range;
        var before = ModelWriter.ToBytes(model);
        return (PassHarness.Run(model, new StaticQuantization(settings with { Ranges = ranges })), before);
    }

    private static int Count(Model model, string op) => model.Graph.AllNodes().Count(n => n.OpType == op);

    /// <summary>The quantized model at every ONNX Runtime optimization level stays within cosine 0.999 of the float one on <paramref name="feed"/>.</summary>
    private void AssertCloseAtEveryLevel(byte[] before, Model quantized, IReadOnlyDictionary<string, TestTensor> feed)
    {
        var expected = OrtRunner.Run(before, feed);
        foreach (var (level, outputs) in QuantizationChecks.RunAtEveryLevel(ModelWriter.ToBytes(quantized), feed))
        {
            var cosine = QuantizationChecks.Cosine(expected, outputs);
            output.WriteLine($"{level}: cosine {cosine:F6}");
            Assert.True(cosine > 0.999, $"{level}: cosine {cosine}");
        }
    }

    [Fact]
    public void ConvReluMaxPoolConvIsQuantizedAndStaysClose()
    {
        var (model, _, _, _) = QdqPlannerTests.ConvReluPoolConv();
        var (run, before) = Quantize(model, new QuantizationSettings());
        Assert.Equal(0, Count(run.Model, "Relu"));
        // x, Conv_1 (Relu's range), MaxPool, Conv_4: four Q/DQ pairs; two weights and two biases behind a DQ.
        Assert.Equal(4, Count(run.Model, "QuantizeLinear"));
        Assert.Equal(8, Count(run.Model, "DequantizeLinear"));
        // The float weights and biases are gone; only int8/int32 data and the float scales remain.
        Assert.DoesNotContain(run.Model.Graph.Initializers, v => v.Name is "w1" or "b1" or "w2" or "b2");
        var error = run.MaxRelativeError();
        output.WriteLine($"largest error relative to the largest output: {error:F4}");
        // Min/max from eight small inputs: another input may saturate an output Q a little.
        Assert.InRange(error, 0, 0.1);
        var feeds = QuantizationChecks.SeededFeeds(model, 4, firstSeed: 100);
        var cosine = QuantizationChecks.WorstCosine(before, ModelWriter.ToBytes(run.Model), feeds);
        output.WriteLine($"cosine {cosine:F6}");
        Assert.True(cosine > 0.999, $"cosine {cosine}");
    }

    [Fact]
    public void TheQuantizedModelRunsAtEveryOrtLevelWithTheSameResults()
    {
        var (model, _, _, _) = QdqPlannerTests.ConvReluPoolConv();
        var (run, before) = Quantize(model, new QuantizationSettings());
        var feed = OrtRunner.SeededInputs(model, 7);
        AssertCloseAtEveryLevel(before, run.Model, feed);
    }

    /// <summary>A toy with the CPU provider's fused ops: Conv, Gemm, MatMul, Add, Mul, Concat, Reshape, Softmax, Sigmoid.</summary>
    private static Model ToyMix()
    {
        var b = new GraphBuilder(seed: 77);
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var c = b.Op("Conv", [x, b.RandomInitializer("w", 0.5f, 6, 3, 3, 3), b.RandomInitializer("cb", 0.2f, 6)], ("pads", new[] { 1, 1, 1, 1 }));
        var clip = b.Op("Clip", [c, b.Initializer("lo", new[] { 0f }), b.Initializer("hi", new[] { 6f })]);
        var c2 = b.Op("Conv", [clip, b.RandomInitializer("w2", 0.5f, 6, 6, 1, 1)]);
        var sum = b.Op("Add", [c2, clip]);
        var sig = b.Op("Sigmoid", [sum]);
        var mul = b.Op("Mul", [sum, sig]);
        var cat = b.Op("Concat", [mul, b.Op("Conv", [clip, b.RandomInitializer("w3", 0.5f, 2, 6, 1, 1)])], ("axis", 1));
        var pooled = b.Op("GlobalAveragePool", [cat]);
        var flat = b.Op("Reshape", [pooled, b.Initializer("shape", new long[] { 1, 8 }, 2)]);
        var g = b.Op("Gemm", [flat, b.RandomInitializer("gw", 0.5f, 10, 8), b.RandomInitializer("gb", 0.2f, 10)], ("transB", 1));
        var m = b.Op("MatMul", [g, b.RandomInitializer("mw", 0.5f, 10, 4)]);
        b.Output(b.Op("Softmax", [m], ("axis", -1)), g);
        return b.Model;
    }

    [Fact]
    public void EveryOpOfTheToyFusesInOnnxRuntime()
    {
        var model = ToyMix();
        var (run, before) = Quantize(model, new QuantizationSettings());
        var plan = QdqPlanner.Plan(QuantizationChecks.Copy(ModelReader.Read(new MemoryStream(before), null)), new QuantizationSettings());
        output.WriteLine("left in float: " + string.Join("; ", plan.LeftInFloat));
        // The last Softmax feeds only the graph output: a QLinearSoftmax would be converted straight back to float.
        Assert.Equal("Softmax_13", Assert.Single(plan.LeftInFloat).Node);
        Assert.Equal(0, Count(run.Model, "Clip"));
        Assert.Equal(0, Count(run.Model, "Relu"));
        // The Gemm output is a graph output and feeds the MatMul: it stays a float output under its name.
        Assert.Equal(["softmax13", "gemm11"], run.Model.Graph.Outputs.Select(o => o.Name));
        Assert.All(run.Model.Graph.Outputs, o => Assert.Equal(ElementType.Float, o.ElementType));

        var feeds = QuantizationChecks.SeededFeeds(model, 4, firstSeed: 50);
        var cosine = QuantizationChecks.WorstCosine(before, ModelWriter.ToBytes(run.Model), feeds);
        output.WriteLine($"cosine {cosine:F6}");
        Assert.True(cosine > 0.995, $"cosine {cosine}");

        var optimized = QuantizationChecks.OrtOptimized(ModelWriter.ToBytes(run.Model));
        var counts = QuantizationChecks.OpCounts(optimized);
        output.WriteLine(QuantizationChecks.Describe(counts));
        Assert.Equal(3, counts.GetValueOrDefault("QLinearConv"));
        Assert.Equal(1, counts.GetValueOrDefault("QGemm"));
        // Its output is read only by the float Softmax: the integer MatMul writes float directly.
        Assert.Equal(1, counts.GetValueOrDefault("MatMulIntegerToFloat"));
        Assert.Equal(1, counts.GetValueOrDefault("QLinearAdd"));
        Assert.Equal(1, counts.GetValueOrDefault("QLinearMul"));
        Assert.Equal(1, counts.GetValueOrDefault("QLinearSigmoid"));
        Assert.Equal(1, counts.GetValueOrDefault("QLinearConcat"));
        Assert.Equal(1, counts.GetValueOrDefault("QLinearGlobalAveragePool"));
        Assert.Equal(0, counts.GetValueOrDefault("QLinearSoftmax"));
        var (boundary, misplaced) = QuantizationChecks.RemainingQdq(optimized);
        output.WriteLine("boundary: " + string.Join("; ", boundary));
        Assert.Empty(misplaced);
        // Input Q; DQ to the Gemm's output (a graph output that also feeds the MatMul); the MatMul writes float itself.
        Assert.Equal(2, boundary.Count);
    }

    /// <summary>A squeezenet-style head: Conv → Relu → GlobalAveragePool → Flatten as the graph output (no integer kernel after the pool).</summary>
    private static Model PooledHead(int channels = 16)
    {
        var b = new GraphBuilder(seed: 31);
        var x = b.Input("x", ElementType.Float, 1, 4, 12, 12);
        var c = b.Op("Conv", [x, b.RandomInitializer("w", 0.5f, channels, 4, 3, 3), b.RandomInitializer("cb", 0.2f, channels)], ("pads", new[] { 1, 1, 1, 1 }));
        var pooled = b.Op("GlobalAveragePool", [b.Op("Relu", [c])]);
        b.Output(b.Op("Flatten", [pooled]));
        return b.Model;
    }

    [Fact]
    public void AGlobalAveragePoolOfAQuantizedMapIsQuantizedEvenWithNoIntegerReader()
    {
        var model = PooledHead();
        var (run, before) = Quantize(model, new QuantizationSettings());
        var optimized = QuantizationChecks.OrtOptimized(ModelWriter.ToBytes(run.Model));
        var counts = QuantizationChecks.OpCounts(optimized);
        output.WriteLine(QuantizationChecks.Describe(counts));
        Assert.Equal(1, counts.GetValueOrDefault("QLinearGlobalAveragePool"));
        Assert.Equal(0, counts.GetValueOrDefault("GlobalAveragePool"));
        Assert.Empty(QuantizationChecks.RemainingQdq(optimized).Misplaced);
        // the one DequantizeLinear left reads the pooled [1, 16, 1, 1], not the 16x12x12 map
        var dq = Assert.Single(optimized.Graph.Nodes, n => n.OpType == "DequantizeLinear");
        Assert.Equal(16, dq.Input(0)!.Shape!.Dims.Aggregate(1L, (a, d) => a * (d.Value ?? 0)));
        var feed = OrtRunner.SeededInputs(model, 9);
        AssertCloseAtEveryLevel(before, run.Model, feed);
    }

    [Fact]
    public void AGlobalAveragePoolOfAFloatMapWithNoIntegerReaderStaysFloat()
    {
        // the Conv kept float: its map is not quantized, and a pool with Q/DQ would only add conversions
        var model = PooledHead();
        var conv = model.Graph.Nodes.First(n => n.OpType == "Conv").Name;
        var plan = QdqPlanner.Plan(model, new QuantizationSettings { Exclude = new HashSet<string> { conv } });
        var pool = Assert.Single(plan.LeftInFloat, l => l.Node.StartsWith("GlobalAveragePool", StringComparison.Ordinal));
        Assert.Equal(IntegerPaths.NoIntegerConsumer, pool.Reason);
    }

    /// <summary>Two Convs → Concat → Add(residual) → a last Conv: the Concat and Add reach an integer kernel only through that Conv.</summary>
    private static Model ConcatBeforeConv()
    {
        var b = new GraphBuilder(seed: 17);
        var x = b.Input("x", ElementType.Float, 1, 4, 8, 8);
        var c1 = b.Op("Conv", [x, b.RandomInitializer("w1", 0.5f, 4, 4, 1, 1)]);
        var c2 = b.Op("Conv", [x, b.RandomInitializer("w2", 0.5f, 4, 4, 3, 3)], ("pads", new[] { 1, 1, 1, 1 }));
        var joined = b.Op("Concat", [c1, c2], ("axis", 1));
        var sum = b.Op("Add", [joined, b.Op("Concat", [x, x], ("axis", 1))]);
        b.Output(b.Op("Conv", [sum, b.RandomInitializer("w3", 0.5f, 2, 8, 1, 1)]));
        return b.Model;
    }

    [Fact]
    public void AConcatAndAddBeforeAConvTheBudgetKeepsInFloatStayFloat()
    {
        // an accuracy budget returns the last Conv to float: a quantized Concat and Add between the float Conv and
        // the quantized producers would only convert to uint8 and straight back
        var model = ConcatBeforeConv();
        var last = model.Graph.Nodes.Last(n => n.OpType == "Conv").Name;
        var settings = new QuantizationSettings { KeepFloat = new HashSet<string> { last } };
        var plan = QdqPlanner.Plan(model, settings);
        foreach (var op in new[] { "Concat", "Add" })
            Assert.Contains(plan.LeftInFloat, l => l.Node.StartsWith(op, StringComparison.Ordinal) && l.Reason == IntegerPaths.NoIntegerConsumer);
        var (run, before) = Quantize(model, settings);
        var optimized = QuantizationChecks.OrtOptimized(ModelWriter.ToBytes(run.Model));
        var counts = QuantizationChecks.OpCounts(optimized);
        output.WriteLine(QuantizationChecks.Describe(counts));
        Assert.Equal(0, counts.GetValueOrDefault("QLinearConcat"));
        Assert.Equal(0, counts.GetValueOrDefault("QLinearAdd"));
        Assert.Equal(2, counts.GetValueOrDefault("QLinearConv"));
        AssertCloseAtEveryLevel(before, run.Model, OrtRunner.SeededInputs(model, 5));
    }

    [Fact]
    public void AConcatAndAddBeforeAQuantizedConvAreQuantized()
    {
        var model = ConcatBeforeConv();
        var (run, before) = Quantize(model, new QuantizationSettings());
        var counts = QuantizationChecks.OpCounts(QuantizationChecks.OrtOptimized(ModelWriter.ToBytes(run.Model)));
        output.WriteLine(QuantizationChecks.Describe(counts));
        Assert.True(counts.GetValueOrDefault("QLinearConcat") >= 1);
        Assert.Equal(1, counts.GetValueOrDefault("QLinearAdd"));
        Assert.Equal(3, counts.GetValueOrDefault("QLinearConv"));
        AssertCloseAtEveryLevel(before, run.Model, OrtRunner.SeededInputs(model, 5));
    }

    [Fact]
    public void ANodeWhoseTensorCalibrationDidNotObserveStaysFloatInsteadOfFailingThePass()
    {
        // ranges collected for a plan that kept the last Conv float (as a budget's earlier candidate did), then the pass
        // runs a plan that would quantize it: its output range was never observed, so it stays float with that reason
        var model = ConcatBeforeConv();
        var last = model.Graph.Nodes.Last(n => n.OpType == "Conv").Name;
        var calibrated = QdqPlanner.Plan(model, new QuantizationSettings { KeepFloat = new HashSet<string> { last } });
        var full = QdqPlanner.Plan(model, new QuantizationSettings());
        Assert.NotEmpty(full.TensorsToCalibrate.Except(calibrated.TensorsToCalibrate));
        var ranges = QuantizationChecks.MinMax(model, calibrated.TensorsToCalibrate, QuantizationChecks.SeededFeeds(model, 8));
        var before = ModelWriter.ToBytes(model);
        var run = PassHarness.Run(model, new StaticQuantization(new QuantizationSettings { Ranges = ranges }));
        output.WriteLine(string.Join("\n", run.Declines.Select(d => $"{d.Node}: {d.Reason}")));
        Assert.Contains(run.Declines, d => d.Node.Contains($"'{last}'", StringComparison.Ordinal) && d.Reason.Contains("calibration did not observe", StringComparison.Ordinal));
        // the last Conv reads its float weights; the two before it read int8 weights through a DequantizeLinear
        var convs = run.Model.Graph.Nodes.Where(n => n.OpType == "Conv").ToList();
        Assert.Null(convs.Single(c => c.Name == last).Input(1)!.Producer);
        Assert.Equal(2, convs.Count(c => c.Input(1)!.Producer?.OpType == "DequantizeLinear"));
        AssertCloseAtEveryLevel(before, run.Model, OrtRunner.SeededInputs(model, 5));
    }

    [Fact]
    public void GraphOutputsKeepTheirNamesAndFloatType()
    {
        var (model, _, _, output) = QdqPlannerTests.ConvReluPoolConv();
        var name = output.Name;
        var (run, _) = Quantize(model, new QuantizationSettings());
        var result = Assert.Single(run.Model.Graph.Outputs);
        Assert.Equal(name, result.Name);
        Assert.Equal(ElementType.Float, result.ElementType);
        Assert.Equal("DequantizeLinear", result.Producer!.OpType);
    }

    [Fact]
    public void OneQdqPairPerTensorIsSharedByItsConsumers()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 5, 5);
        var y1 = b.Op("Conv", [x, b.RandomInitializer("w1", 0.5f, 2, 3, 1, 1)]);
        var y2 = b.Op("Conv", [x, b.RandomInitializer("w2", 0.5f, 2, 3, 3, 3)], ("pads", new[] { 1, 1, 1, 1 }));
        b.Output(y1, y2);
        var (run, _) = Quantize(b.Model, new QuantizationSettings());
        var q = Assert.Single(run.Model.Graph.Nodes, n => n.OpType == "QuantizeLinear" && n.Input(0)!.Name == "x");
        var dq = Assert.Single(q.Output().Uses).Node;
        Assert.Equal(2, dq.Output().Uses.Count);
        run.AssertSameOutputs(0.05);
    }

    /// <summary>x → If(cond) { then_conv(x) } else { else_conv(x) }: a 1x1 Conv in each branch.</summary>
    private static (GraphBuilder B, Graph Then, Value Y) ConvBranches()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 4, 4);
        var cond = b.Input("cond", ElementType.Bool);
        var then = new Graph("then");
        then.AddOutput(then.AddNode("Conv", [x, b.RandomInitializer("w", 1f, 2, 3, 1, 1)], ["then_conv"], name: "then_conv").Output());
        var otherwise = new Graph("else");
        otherwise.AddOutput(otherwise.AddNode("Conv", [x, b.RandomInitializer("w2", 1f, 2, 3, 1, 1)], ["else_conv"], name: "else_conv").Output());
        var y = b.Op("If", [cond], ("then_branch", then), ("else_branch", otherwise));
        b.Output(y);
        return (b, then, y);
    }

    [Fact]
    public void IfBranchesAreQuantizedToo()
    {
        var (b, then, y) = ConvBranches();
        var settings = new QuantizationSettings();
        var plan = QdqPlanner.Plan(b.Model, settings);
        Assert.Equal(["then_conv", "else_conv"], plan.QuantizedNodes);
        Assert.Equal(["x", "then_conv", "else_conv"], plan.TensorsToCalibrate);
        // The branch outputs are the If's output for one condition each: their ranges come from running both.
        var bytes = ModelWriter.ToBytes(b.Model);
        ValueRange RangeWhen(bool c) => QuantizationChecks.MinMax(b.Model, [y.Name], Enumerable.Range(1, 6).Select(s =>
        {
            var feed = OrtRunner.SeededInputs(b.Model, s);
            feed["cond"] = new TestTensor(ElementType.Bool, [], new[] { c });
            return (IReadOnlyDictionary<string, TestTensor>)feed;
        }))[y.Name];
        var (run, _) = Quantize(b.Model, settings, extraRanges: new Dictionary<string, ValueRange> { ["then_conv"] = RangeWhen(true), ["else_conv"] = RangeWhen(false) });
        Assert.Equal(2, then.Nodes.Count(n => n.OpType == "DequantizeLinear"));
        Assert.Equal("DequantizeLinear", then.Outputs[0].Producer!.OpType);
        Assert.Equal("then_conv", then.Outputs[0].Name);
        foreach (var c in new[] { true, false })
        {
            var feed = OrtRunner.SeededInputs(b.Model, 9);
            feed["cond"] = new TestTensor(ElementType.Bool, [], new[] { c });
            var cosine = QuantizationChecks.Cosine(OrtRunner.Run(bytes, feed), OrtRunner.Run(run.Model, feed));
            Assert.True(cosine > 0.999, $"cond {c}: cosine {cosine}");
        }
    }

    [Fact]
    public void ABranchNoCalibrationSampleTookStaysFloat()
    {
        var (b, _, _) = ConvBranches();
        var bytes = ModelWriter.ToBytes(b.Model);
        // calibrated on samples that all took the then branch: else_conv's output has the [0, 0] of nothing seen
        var ranges = new Dictionary<string, ValueRange> { ["x"] = new(-3, 3), ["then_conv"] = new(-6, 6), ["else_conv"] = new(0, 0) { Unobserved = true } };
        var settings = new QuantizationSettings { Ranges = ranges };

        var plan = QdqPlanner.Plan(ModelReader.Read(new MemoryStream(bytes), null), settings);
        Assert.Equal(["then_conv"], plan.QuantizedNodes);
        Assert.Contains(plan.LeftInFloat, l => l.Node == "else_conv" && l.Reason.Contains("never computed on the calibration data"));
        var model = ModelReader.Read(new MemoryStream(bytes), null);
        var run = PassHarness.Run(model, new StaticQuantization(settings));
        var elseBranch = model.Graph.Nodes.Single(n => n.OpType == "If").Subgraphs.Single(g => g.Name == "else");
        Assert.DoesNotContain(elseBranch.Nodes, n => n.OpType is "QuantizeLinear" or "DequantizeLinear");
        var feed = OrtRunner.SeededInputs(b.Model, 3);
        feed["cond"] = new TestTensor(ElementType.Bool, [], new[] { false });
        Assert.Equal(1.0, QuantizationChecks.Cosine(OrtRunner.Run(bytes, feed), OrtRunner.Run(run.Model, feed)), 6);
        // with an observed range the same branch is quantized (the negative case)
        var observed = new QuantizationSettings { Ranges = new Dictionary<string, ValueRange>(ranges) { ["else_conv"] = new(-6, 6) } };
        Assert.Equal(["then_conv", "else_conv"], QdqPlanner.Plan(ModelReader.Read(new MemoryStream(bytes), null), observed).QuantizedNodes);
    }

    [Fact]
    public void TensorRtGetsSymmetricInt8WithPerChannelConvWeights()
    {
        var b = new GraphBuilder(seed: 5);
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var h = b.Op("Relu", [b.Op("Conv", [x, b.RandomInitializer("w1", 0.5f, 4, 3, 3, 3), b.RandomInitializer("b1", 0.2f, 4)], ("pads", new[] { 1, 1, 1, 1 }))]);
        var y = b.Op("Conv", [h, b.RandomInitializer("w2", 0.5f, 4, 4, 1, 1)]);
        var sum = b.Op("Add", [y, h]);
        var flat = b.Op("Reshape", [sum, b.Initializer("s", new long[] { 4, 64 }, 2)]);
        var m = b.Op("MatMul", [flat, b.RandomInitializer("mw", 0.5f, 64, 5)]);
        b.Output(m);
        var settings = new QuantizationSettings { Target = QuantizationTarget.TensorRt };
        var (run, before) = Quantize(b.Model, settings);
        var graph = run.Model.Graph;
        // Relu stays (TensorRT fuses Conv+Relu itself); Q/DQ only on inputs: x, h (Conv_4 and the Add's identity), the reshaped sum.
        Assert.Equal(1, Count(run.Model, "Relu"));
        var qs = graph.Nodes.Where(n => n.OpType == "QuantizeLinear").ToList();
        Assert.Equal(["x", h.Name, flat.Name], qs.Select(q => q.Input(0)!.Name));
        foreach (var q in qs)
        {
            var zero = q.Input(2)!.Initializer!;
            Assert.Equal(ElementType.Int8, zero.ElementType);
            Assert.Equal(0, zero.ToArray<sbyte>().Single());
            Assert.Empty(q.Input(1)!.Initializer!.Dims);
        }
        foreach (var conv in graph.Nodes.Where(n => n.OpType == "Conv"))
        {
            var dq = conv.Input(1)!.Producer!;
            Assert.Equal("DequantizeLinear", dq.OpType);
            Assert.Equal(0, dq.GetInt("axis", 1));
            Assert.Equal(dq.Input(0)!.Initializer!.Dims[0], Assert.Single(dq.Input(1)!.Initializer!.Dims));
            Assert.Equal(ElementType.Int8, dq.Input(0)!.ElementType);
            Assert.All(dq.Input(2)!.Initializer!.ToArray<sbyte>(), z => Assert.Equal(0, z));
        }
        // TensorRT takes float biases.
        Assert.Equal(ElementType.Float, graph.Nodes.First(n => n.OpType == "Conv").Input(2)!.ElementType);
        Assert.Equal(1, graph.Nodes.Single(n => n.OpType == "MatMul").Input(1)!.Producer!.GetInt("axis", 0));
        var cosine = QuantizationChecks.WorstCosine(before, ModelWriter.ToBytes(run.Model), QuantizationChecks.SeededFeeds(b.Model, 4, 30));
        Assert.True(cosine > 0.995, $"cosine {cosine}");
        Assert.Empty(run.Declines);
    }

    [Fact]
    public void PerTensorWeightsUseOneScale()
    {
        var (model, _, _, _) = QdqPlannerTests.ConvReluPoolConv();
        var (run, _) = Quantize(model, new QuantizationSettings { PerTensorWeights = true });
        foreach (var conv in run.Model.Graph.Nodes.Where(n => n.OpType == "Conv"))
        {
            var dq = conv.Input(1)!.Producer!;
            Assert.Empty(dq.Input(1)!.Initializer!.Dims);
            Assert.False(dq.HasAttribute("axis"));
        }
        Assert.InRange(run.MaxRelativeError(), 0, 0.08);
    }

    [Fact]
    public void AnOverridableWeightIsDeclinedAndLeftFloat()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 4, 4);
        var w = b.RandomInitializer("w", 1f, 2, 3, 1, 1);
        b.Graph.AddInputValue(w);
        var y = b.Op("Conv", [x, w]);
        b.Output(b.Op("Conv", [y, b.RandomInitializer("w2", 1f, 2, 2, 1, 1)]));
        var (run, _) = Quantize(b.Model, new QuantizationSettings());
        run.AssertDeclined("weight is an overridable graph input");
        Assert.Same(w, run.Model.Graph.Nodes.First(n => n.OpType == "Conv").Input(1));
        Assert.Equal(ElementType.Float, w.ElementType);
        run.AssertSameOutputs(0.05);
    }

    [Fact]
    public void AModelBeforeOpset13IsRefused()
    {
        var b = new GraphBuilder(opset: 11);
        var x = b.Input("x", ElementType.Float, 1, 3, 4, 4);
        b.Output(b.Op("Conv", [x, b.RandomInitializer("w", 1f, 2, 3, 1, 1)]));
        var pass = new StaticQuantization(new QuantizationSettings { Ranges = new Dictionary<string, ValueRange> { ["x"] = new(-1, 1), ["conv1"] = new(-1, 1) } });
        var error = Assert.Throws<InvalidOperationException>(() => pass.Run(b.Model, new PassContext()));
        Assert.Contains("opset 13", error.Message);
        Assert.Equal(0, Count(b.Model, "QuantizeLinear"));
    }

    [Fact]
    public void MissingRangesAreRefusedBeforeAnyChange()
    {
        var (model, _, _, _) = QdqPlannerTests.ConvReluPoolConv();
        var pass = new StaticQuantization(new QuantizationSettings { Ranges = new Dictionary<string, ValueRange> { ["x"] = new(-1, 1) } });
        var error = Assert.Throws<InvalidOperationException>(() => pass.Run(model, new PassContext()));
        Assert.Contains("no calibrated range", error.Message);
        Assert.Equal("Conv,Relu,MaxPool,Conv", PassHarness.OpSequence(model));
    }
}
