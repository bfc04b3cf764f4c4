using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Optimizer.Runtime.Tests.Validation;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Calibration;

/// <summary>Collecting statistics over real models: what one run observes equals what the plain model computes.</summary>
public sealed class CalibratorTests
{
    private static readonly string SqueezeNet = TestPaths.SharedModel("squeezenet1_1.onnx");
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");

    [Fact]
    public void OutputRangeEqualsThePlainModelsOutputOnTheSameImages()
    {
        using var dir = TestPaths.NewTempDir();
        var images = ModelFixtures.SmallImageFolder(dir.Path);
        var model = ModelReader.Read(SqueezeNet);
        var output = model.Graph.Outputs[0].Name;
        var convInputs = ConvInputs(model);

        using var runner = new ModelRunner(SqueezeNet, SessionSettings.ForComparison);
        var data = DataSet.Open(new DataOptions { Folder = images }, runner.Signature);
        float min = float.MaxValue, max = float.MinValue;
        foreach (var sample in data.Read())
            foreach (var x in runner.Run(sample).Outputs[output].AsSpan<float>()) { min = Math.Min(min, x); max = Math.Max(max, x); }

        var settings = new CalibrationSettings { Session = SessionSettings.ForComparison };
        var stats = Calibrator.Collect(File.ReadAllBytes(SqueezeNet), [output, .. convInputs], data, settings);
        Assert.Equal(4, stats.SampleCount);
        Assert.Equal(min, stats.Tensors[output].Min);
        Assert.Equal(max, stats.Tensors[output].Max);
        Assert.Equal(1 + convInputs.Count, stats.Tensors.Count);
        Assert.All(convInputs, n => Assert.True(stats.Tensors[n].Count > 0, n));
        // the first Conv reads the image itself: a graph input, observed from the samples
        Assert.Equal(4 * 3 * 224 * 224, stats.Tensors[model.Graph.Inputs[0].Name].Count);
    }

    [Fact]
    public void IntermediateTensorsUnderFullOptimizationMatchTheUnoptimizedModel()
    {
        using var dir = TestPaths.NewTempDir();
        var images = ModelFixtures.SmallImageFolder(dir.Path);
        var model = ModelReader.Read(SqueezeNet);
        // an intermediate Conv input deep in the network (ONNX Runtime would fuse its producer away if it could)
        var convInputs = ConvInputs(model).Where(n => !model.Graph.Inputs.Any(i => i.Name == n)).ToList();
        var inner = convInputs[convInputs.Count / 2];

        // expected: the same tensor made an output by hand and run with ONNX Runtime's optimizations off
        var exposed = ModelReader.Read(SqueezeNet);
        exposed.Graph.AddOutput(exposed.Graph.FindValue(inner)!);
        var exposedPath = dir.File("exposed.onnx");
        ModelWriter.Write(exposed, exposedPath);
        using var runner = new ModelRunner(exposedPath, SessionSettings.ForComparison);
        var data = DataSet.Open(new DataOptions { Folder = images }, runner.Signature);
        float min = float.MaxValue, max = float.MinValue;
        long count = 0;
        foreach (var sample in data.Read())
            foreach (var x in runner.Run(sample).Outputs[inner].AsSpan<float>()) { min = Math.Min(min, x); max = Math.Max(max, x); count++; }

        var stats = Calibrator.Collect(File.ReadAllBytes(SqueezeNet), [inner], data, new CalibrationSettings());
        var t = stats.Tensors[inner];
        Assert.Equal(count, t.Count);
        var tolerance = 1e-4f * Math.Max(Math.Abs(min), Math.Abs(max));
        Assert.InRange(t.Min, min - tolerance, min + tolerance);
        Assert.InRange(t.Max, max - tolerance, max + tolerance);
    }

    [Fact]
    public void UnknownAndNonFloatTensorsAreRefusedByName()
    {
        var bytes = File.ReadAllBytes(SqueezeNet);
        // names are checked before any sample is read
        var e = Assert.Throws<InvalidInputException>(() => Calibrator.Collect(bytes, ["no_such_tensor", "other_missing"], Array.Empty<Sample>(), new CalibrationSettings()));
        Assert.Contains("'no_such_tensor', 'other_missing'", e.Message);

        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, 1, 4);
        var shape = b.Op("Shape", [x]);
        var relu = b.Op("Relu", [x]);
        b.Output(relu);
        b.Output(shape);
        var tiny = ModelWriter.ToBytes(b.Build());
        var input = new Sample("s", "s", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray(new[] { -1f, 2, -3, 4 }, [1, 4]) });
        e = Assert.Throws<InvalidInputException>(() => Calibrator.Collect(tiny, [shape.Name], [input], new CalibrationSettings()));
        Assert.Contains($"'{shape.Name}'", e.Message);
        Assert.Contains("not float", e.Message);

        // the same small model observes its float tensors exactly
        var stats = Calibrator.Collect(tiny, ["x", relu.Name], [input], new CalibrationSettings());
        Assert.Equal((-3f, 4f), (stats.Tensors["x"].Min, stats.Tensors["x"].Max));
        Assert.Equal((0f, 4f), (stats.Tensors[relu.Name].Min, stats.Tensors[relu.Name].Max));
    }

    [Fact]
    public void TimeSpentWaitingForSlowSamplesIsReportedApart()
    {
        var (bytes, relu) = ReluModel();
        // a reader as slow as a large image's decoding: 40 ms a sample, where the model runs in microseconds
        IEnumerable<Sample> Slow()
        {
            for (var i = 0; i < 5; i++)
            {
                Thread.Sleep(40);
                yield return new Sample($"s{i}", $"s{i}", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray(new[] { -1f, 2, -3, i }, [1, 4]) });
            }
        }

        var stats = Calibrator.Collect(bytes, [relu], Slow(), new CalibrationSettings());
        Assert.Equal(5, stats.SampleCount);
        Assert.InRange(stats.DataWait, TimeSpan.FromMilliseconds(150), stats.Elapsed);
        var fast = Calibrator.Collect(bytes, [relu], Slow().ToList(), new CalibrationSettings());
        Assert.True(fast.DataWait < TimeSpan.FromMilliseconds(150), $"{fast.DataWait}");
    }

    [Fact]
    public void AFailedRunIsBadInputWithOnnxRuntimesReason()
    {
        var (bytes, relu) = ReluModel();
        var wrong = new Sample("s7", "samples/s7.npy", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray(new[] { 1f, 2, 3, 4, 5 }, [1, 5]) });
        var e = Assert.Throws<InvalidInputException>(() => Calibrator.Collect(bytes, [relu], [wrong], new CalibrationSettings()));
        Assert.StartsWith("samples/s7.npy: the model failed to run on this sample: ", e.Message);
        Assert.Contains("dimension", e.Message, StringComparison.OrdinalIgnoreCase);

        var missing = new Sample("s8", "samples/s8.npy", new Dictionary<string, HostTensor>());
        e = Assert.Throws<InvalidInputException>(() => Calibrator.Collect(bytes, [relu], [missing], new CalibrationSettings()));
        Assert.Equal("samples/s8.npy: the sample has no input 'x'", e.Message);
    }

    [Fact]
    public void MemoryStaysTheSameForFiveAndFiftySamples()
    {
        var names = ConvInputs(ModelReader.Read(TinyCnn));
        Assert.True(names.Count >= 2, "tiny_cnn has Conv layers");
        var bytes = File.ReadAllBytes(TinyCnn);
        var settings = new CalibrationSettings { Bins = 512 };
        var few = Calibrator.Collect(bytes, names, RandomSamples(TinyCnn, 5), settings);
        var many = Calibrator.Collect(bytes, names, RandomSamples(TinyCnn, 50), settings);
        Assert.Equal(few.Tensors.Keys.Order(), many.Tensors.Keys.Order());
        foreach (var name in names)
        {
            Assert.Equal(2 * 512, few.Tensors[name].Histogram.Counts.Length);
            Assert.Equal(2 * 512, many.Tensors[name].Histogram.Counts.Length);
            Assert.Equal(10 * few.Tensors[name].Count, many.Tensors[name].Count);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MaxSamplesProgressAndCancellationAreHonoured(int workers)
    {
        var names = ConvInputs(ModelReader.Read(TinyCnn));
        var bytes = File.ReadAllBytes(TinyCnn);
        var calls = new List<(int Done, int? Total)>();
        var stats = Calibrator.Collect(bytes, names, RandomSamples(TinyCnn, 6), new CalibrationSettings { MaxSamples = 4, Workers = workers }, (d, t) => calls.Add((d, t)));
        Assert.Equal(4, stats.SampleCount);
        Assert.Equal([(1, 4), (2, 4), (3, 4), (4, 4)], calls);

        using var cancel = new CancellationTokenSource();
        var seen = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => Calibrator.Collect(bytes, names, RandomSamples(TinyCnn, 6), new CalibrationSettings { Workers = workers },
            (d, _) => { seen = d; if (d == 2) cancel.Cancel(); }, cancel.Token));
        Assert.Equal(2, seen);
    }

    [Fact]
    public void SeveralSamplesAtOnceGiveExactlyTheStatisticsOfOneAtATime()
    {
        var names = ConvInputs(ModelReader.Read(TinyCnn));
        var bytes = File.ReadAllBytes(TinyCnn);
        var samples = RandomSamples(TinyCnn, 11);
        CalibrationStatistics Collect(int workers) => Calibrator.Collect(bytes, names, samples,
            new CalibrationSettings { Method = CalibrationMethod.Entropy, AlsoRead = [CalibrationMethod.Percentile], Bins = 256, Workers = workers });
        var one = Collect(1);
        foreach (var workers in new[] { 2, 3 })
        {
            var many = Collect(workers);
            Assert.Equal(11, many.SampleCount);
            foreach (var name in names)
            {
                var (a, b) = (one.Tensors[name], many.Tensors[name]);
                Assert.Equal((a.Min, a.Max, a.Count), (b.Min, b.Max, b.Count));
                Assert.Equal(a.Histogram.Limit, b.Histogram.Limit);
                Assert.Equal(a.Histogram.Counts.ToArray(), b.Histogram.Counts.ToArray());
                Assert.NotNull(b.Tails);
            }
            foreach (var method in new[] { CalibrationMethod.MinMax, CalibrationMethod.Percentile, CalibrationMethod.Entropy })
                Assert.Equal(one.Ranges(method), many.Ranges(method));
        }
    }

    [Fact]
    public void SamplesRunAtOnceOnlyWhileTheirObservedTensorsFitTheBudget()
    {
        var names = ConvInputs(ModelReader.Read(TinyCnn));
        var bytes = File.ReadAllBytes(TinyCnn);
        var samples = RandomSamples(TinyCnn, 5);
        // two threads: two samples at a time, unless two runs' observed tensors pass the in-flight budget
        var session = SessionSettings.ForSpeed with { Threads = 2 };
        var within = Calibrator.Collect(bytes, names, samples, new CalibrationSettings { Session = session });
        var over = Calibrator.Collect(bytes, names, samples, new CalibrationSettings { Session = session, InFlightBytes = 1000 });
        Assert.Equal(2, within.Workers);
        Assert.Equal(1, over.Workers);
        foreach (var name in names)
            Assert.Equal((within.Tensors[name].Min, within.Tensors[name].Max, within.Tensors[name].Count), (over.Tensors[name].Min, over.Tensors[name].Max, over.Tensors[name].Count));
    }

    [Fact]
    public void MeasurementsRunOneSampleAtATimeOnAllThreadsWhenTheFirstSamplesOutputsPassTheBudget()
    {
        var names = ConvInputs(ModelReader.Read(TinyCnn));
        var model = ObservedModel.Prepare(File.ReadAllBytes(TinyCnn), names);
        var samples = RandomSamples(TinyCnn, 6);
        var session = SessionSettings.ForSpeed with { Threads = 2 };
        foreach (var (budget, sessions) in new[] { (SessionWorkers.InFlightBytes, 1), (1000L, 2) })
        {
            var made = new List<int>();
            var folded = new List<string>();
            var done = SampleRuns.Run(model.Bytes, "observed", session, s => made.Add(s.OutputNames.Count), model.Outputs, samples, 5, default,
                (sample, outputs) => folded.Add(sample.Id), budget);
            Assert.Equal(5, done);
            // the first sample on the one-thread session, the rest on a session on all threads when over the budget
            Assert.Equal(sessions, made.Count);
            Assert.Equal(samples.Take(5).Select(s => s.Id), folded);
        }
    }

    [Fact]
    public void TheEstimateOfARunsBytesIsWhatTheRunReturns()
    {
        var names = ConvInputs(ModelReader.Read(TinyCnn));
        var sample = RandomSamples(TinyCnn, 1)[0];
        var model = ObservedModel.Prepare(File.ReadAllBytes(TinyCnn), names, null, sample.Inputs.ToDictionary(kv => kv.Key, kv => kv.Value.Shape));
        using var session = SessionFactory.Create(model.Bytes, "observed", SessionSettings.ForSpeed);
        var inputs = session.InputNames.ToArray();
        var values = inputs.Select(n => sample.Inputs[n].ToOrtValue()).ToArray();
        using var outputs = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), inputs, values, model.Outputs.ToArray());
        foreach (var v in values) v.Dispose();
        var returned = outputs.Sum(o => o.GetTensorTypeAndShape().ElementCount * 4);
        Assert.True(returned > 0);
        Assert.Equal(returned, model.BytesPerSample());
        // without input shapes there is no estimate
        Assert.Null(ObservedModel.Prepare(File.ReadAllBytes(TinyCnn), names).BytesPerSample());
    }

    [Fact]
    public void WithSeveralAtOnceTheFirstFailingSampleIsTheOneReported()
    {
        var (bytes, relu) = ReluModel();
        // samples 4 and 7 have the wrong shape; whichever worker meets its failure first, sample 4's is reported
        var samples = Enumerable.Range(0, 10).Select(i => new Sample($"s{i}", $"samples/s{i}.npy", new Dictionary<string, HostTensor>
        {
            ["x"] = i is 4 or 7 ? HostTensor.FromArray(new[] { 1f, 2, 3, 4, 5 }, [1, 5]) : HostTensor.FromArray(new[] { -1f, 2, -3, i }, [1, 4]),
        })).ToList();
        for (var round = 0; round < 5; round++)
        {
            var folded = new List<int>();
            var e = Assert.Throws<InvalidInputException>(() => Calibrator.Collect(bytes, [relu], samples, new CalibrationSettings { Workers = 3 }, (d, _) => folded.Add(d)));
            Assert.StartsWith("samples/s4.npy: the model failed to run on this sample: ", e.Message);
            // no sample after the failing one was folded
            Assert.True(folded.Count <= 4, string.Join(",", folded));
        }
    }

    [Fact]
    public void ThePercentileOfAComparisonIsKeptInTailsAndAWidePercentileInAHistogram()
    {
        var names = ConvInputs(ModelReader.Read(TinyCnn));
        var bytes = File.ReadAllBytes(TinyCnn);
        var samples = RandomSamples(TinyCnn, 3);
        var compared = Calibrator.Collect(bytes, names, samples, new CalibrationSettings { AlsoRead = [CalibrationMethod.Percentile] });
        Assert.All(compared.Order, t => Assert.False(t.HasHistogram));
        Assert.All(compared.Order, t => Assert.NotNull(t.Tails));
        Assert.Equal(names.Count, compared.Ranges(CalibrationMethod.Percentile).Count);
        Assert.Throws<InvalidOperationException>(() => compared.Ranges(CalibrationMethod.Entropy));
        // 99 % cuts 0.5 % from each end: more than tails keep, so a histogram
        var wide = Calibrator.Collect(bytes, names, samples, new CalibrationSettings { Method = CalibrationMethod.Percentile, Percentile = 99 });
        Assert.All(wide.Order, t => Assert.True(t.HasHistogram));
        Assert.All(wide.Order, t => Assert.Null(t.Tails));
        var minmax = Calibrator.Collect(bytes, names, samples, new CalibrationSettings());
        Assert.All(minmax.Order, t => Assert.Null(t.Tails));
    }

    /// <summary>x [1, 4] -> Relu: the model and the Relu's output name.</summary>
    private static (byte[] Bytes, string Relu) ReluModel()
    {
        var b = new GraphBuilder(opset: 13);
        var relu = b.Op("Relu", [b.Input("x", ElementType.Float, 1, 4)]);
        b.Output(relu);
        return (ModelWriter.ToBytes(b.Build()), relu.Name);
    }

    /// <summary>Every tensor a Conv or Gemm reads as its data input (input 0), as a quantizer would observe them.</summary>
    internal static List<string> ConvInputs(Model model) =>
        model.Graph.Nodes.Where(n => n.OpType is "Conv" or "Gemm").Select(n => n.Inputs[0]!.Name).Distinct().ToList();

    private static List<Sample> RandomSamples(string modelPath, int count)
    {
        using var runner = new ModelRunner(modelPath, SessionSettings.ForComparison);
        return DataSet.Open(new DataOptions { RandomSamples = count }, runner.Signature).Read().ToList();
    }
}
