using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Quantization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Support;

/// <summary>
/// What quantization tests need around the pass: min/max ranges from running the FP32 model (a stand-in for the real
/// calibrator), cosine similarity of outputs, and ONNX Runtime's own optimized graph to see what it fused.
/// </summary>
public static class QuantizationChecks
{
    /// <summary>
    /// Min/max of each named main-graph tensor over <paramref name="feeds"/>, read by running a copy of the model in ONNX
    /// Runtime with those tensors as extra outputs (graph inputs are read from the feeds).
    /// </summary>
    public static Dictionary<string, ValueRange> MinMax(Model model, IEnumerable<string> names, IEnumerable<IReadOnlyDictionary<string, TestTensor>> feeds)
    {
        var copy = Copy(model);
        var wanted = names.Distinct().ToList();
        var inputs = copy.Graph.Inputs.Select(i => i.Name).ToHashSet();
        foreach (var name in wanted.Where(n => !inputs.Contains(n)))
        {
            var v = copy.Graph.FindValue(name) ?? throw new InvalidOperationException($"'{name}' is not a main-graph value");
            if (!v.IsGraphOutput) copy.Graph.AddOutput(v);
        }
        var bytes = ModelWriter.ToBytes(copy);
        var ranges = new Dictionary<string, ValueRange>();
        foreach (var feed in feeds)
        {
            var outputs = OrtRunner.Run(bytes, feed);
            foreach (var name in wanted)
            {
                var values = (inputs.Contains(name) ? feed[name] : outputs[name]).AsDoubles();
                var (min, max) = ((float)values.Min(), (float)values.Max());
                ranges[name] = ranges.TryGetValue(name, out var r) ? new ValueRange(Math.Min(r.Min, min), Math.Max(r.Max, max)) : new ValueRange(min, max);
            }
        }
        return ranges;
    }

    /// <summary>A feed as the <see cref="Sample"/> the runtime's data readers give (float inputs).</summary>
    public static Sample ToSample(IReadOnlyDictionary<string, TestTensor> feed, int i) =>
        new($"s{i}", $"feed {i}", feed.ToDictionary(kv => kv.Key, kv => HostTensor.FromArray((float[])kv.Value.Data, kv.Value.Dims)));

    /// <summary>A copy of <paramref name="model"/> statically quantized with <paramref name="settings"/>.</summary>
    public static Model Quantized(Model model, QuantizationSettings settings)
    {
        var copy = Copy(model);
        PassHarness.Run(copy, new StaticQuantization(settings));
        return copy;
    }

    public static Model Copy(Model model)
    {
        using var stream = new MemoryStream(ModelWriter.ToBytes(model));
        return ModelReader.Read(stream, null);
    }

    /// <summary>Seeded random feeds (uniform [-1, 1) for floats).</summary>
    public static List<IReadOnlyDictionary<string, TestTensor>> SeededFeeds(Model model, int count, int firstSeed = 1) =>
        Enumerable.Range(firstSeed, count).Select(s => (IReadOnlyDictionary<string, TestTensor>)OrtRunner.SeededInputs(model, s)).ToList();

    /// <summary>The shared ImageNet-style images as [1,3,224,224] feeds of input <paramref name="input"/>.</summary>
    public static List<IReadOnlyDictionary<string, TestTensor>> ImageFeeds(string input, int skip, int take)
    {
        var p = new Preprocessing(256, 224, 1.0 / 255.0, Preprocessing.ImageNetMean, Preprocessing.ImageNetStd, ColorOrder.Rgb, ImageLayout.Nchw);
        return Directory.EnumerateFiles(Path.Combine(TestPaths.SharedModels, "images")).Where(ImageLoader.IsImage).Order(StringComparer.Ordinal)
            .Skip(skip).Take(take)
            .Select(f => (IReadOnlyDictionary<string, TestTensor>)new Dictionary<string, TestTensor>
            {
                [input] = new(ElementType.Float, [1, 3, 224, 224], ImageLoader.Load(f, p).AsSpan<float>().ToArray()),
            }).ToList();
    }

    /// <summary>Cosine similarity of all outputs, concatenated in name order.</summary>
    public static double Cosine(IReadOnlyDictionary<string, TestTensor> expected, IReadOnlyDictionary<string, TestTensor> actual)
    {
        double dot = 0, ee = 0, aa = 0;
        foreach (var name in expected.Keys.Order(StringComparer.Ordinal))
        {
            var (e, a) = (expected[name].AsDoubles(), actual[name].AsDoubles());
            Assert.Equal(e.Length, a.Length);
            for (var i = 0; i < e.Length; i++) (dot, ee, aa) = (dot + e[i] * a[i], ee + e[i] * e[i], aa + a[i] * a[i]);
        }
        return dot / Math.Sqrt(Math.Max(ee * aa, 1e-30));
    }

    /// <summary>The smallest cosine over <paramref name="feeds"/> between two models (ORT optimizations off).</summary>
    public static double WorstCosine(byte[] reference, byte[] quantized, IEnumerable<IReadOnlyDictionary<string, TestTensor>> feeds) =>
        feeds.Min(f => Cosine(OrtRunner.Run(reference, f), OrtRunner.Run(quantized, f)));

    /// <summary>Runs the model once at every ONNX Runtime optimization level; returns the outputs per level.</summary>
    public static Dictionary<GraphOptimizationLevel, Dictionary<string, TestTensor>> RunAtEveryLevel(byte[] model, IReadOnlyDictionary<string, TestTensor> feed)
    {
        var result = new Dictionary<GraphOptimizationLevel, Dictionary<string, TestTensor>>();
        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_BASIC, GraphOptimizationLevel.ORT_ENABLE_EXTENDED, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            using var options = new SessionOptions { GraphOptimizationLevel = level, IntraOpNumThreads = 1 };
            using var session = new InferenceSession(model, options);
            using var run = new RunOptions();
            var names = feed.Keys.ToArray();
            var values = names.Select(n => OrtValue.CreateTensorValueFromMemory((float[])feed[n].Data, feed[n].Dims)).ToArray();
            try
            {
                using var outputs = session.Run(run, names, values, session.OutputNames.ToArray());
                result[level] = session.OutputNames.Select((n, i) => (n, t: new TestTensor(ElementType.Float, outputs[i].GetTensorTypeAndShape().Shape, outputs[i].GetTensorDataAsSpan<float>().ToArray())))
                    .ToDictionary(p => p.n, p => p.t);
            }
            finally
            {
                foreach (var v in values) v.Dispose();
            }
        }
        return result;
    }

    /// <summary>The graph ONNX Runtime runs after its own optimizations (saved through OptimizedModelFilePath).</summary>
    public static Model OrtOptimized(byte[] model, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_EXTENDED)
    {
        using var dir = TestPaths.NewTempDir();
        var path = dir.File("optimized.onnx");
        using (var options = new SessionOptions { GraphOptimizationLevel = level, IntraOpNumThreads = 1, OptimizedModelFilePath = path })
        using (new InferenceSession(model, options)) { }
        return ModelReader.Read(path);
    }

    /// <summary>Op type counts ("QLinearConv: 26, …") of every graph.</summary>
    public static Dictionary<string, int> OpCounts(Model model) =>
        model.Graph.AllNodes().GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());

    public static string Describe(Dictionary<string, int> counts) =>
        string.Join(", ", counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}"));

    /// <summary>
    /// The QuantizeLinear/DequantizeLinear ONNX Runtime left, each with why it may stay: a Q reading a graph input or a
    /// float op's output, a DQ feeding a graph output or a float op. Returns the ones that sit elsewhere (should be none).
    /// </summary>
    public static (List<string> Boundary, List<string> Misplaced) RemainingQdq(Model optimized)
    {
        var boundary = new List<string>();
        var misplaced = new List<string>();
        static bool IsQuantizedOp(Node n) => n.OpType is "QuantizeLinear" or "DequantizeLinear" || n.OpType.StartsWith("QLinear", StringComparison.Ordinal)
            || n.OpType is "QGemm" or "MatMulIntegerToFloat" or "DynamicQuantizeLinear";
        foreach (var node in optimized.Graph.AllNodes())
        {
            if (node.OpType == "QuantizeLinear")
            {
                var x = node.Input(0)!;
                var ok = x.IsGraphInput || x.Producer is { } p && !IsQuantizedOp(p);
                (ok ? boundary : misplaced).Add($"Q of '{x.Name}' (from {(x.Producer?.OpType ?? "graph input")})");
            }
            else if (node.OpType == "DequantizeLinear" && node.Input(0) is { IsInitializer: true } w)
                misplaced.Add($"DQ of constant '{w.Name}' into {string.Join("/", node.Output().Uses.Select(u => u.Node.OpType))} (its consumer did not fuse)");
            else if (node.OpType == "DequantizeLinear")
            {
                var y = node.Output();
                var ok = y.IsGraphOutput || y.Uses.Any(u => !IsQuantizedOp(u.Node));
                (ok ? boundary : misplaced).Add($"DQ to '{y.Name}' (into {string.Join("/", y.Uses.Select(u => u.Node.OpType).Append(y.IsGraphOutput ? "graph output" : "").Where(s => s.Length > 0))})");
            }
        }
        return (boundary, misplaced);
    }
}
