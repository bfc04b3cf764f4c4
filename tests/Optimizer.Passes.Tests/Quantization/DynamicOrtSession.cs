using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Quantization;

/// <summary>
/// What the dynamic quantization tests share: one ONNX Runtime session run over many samples (at a chosen
/// optimization level), the graph ONNX Runtime makes of a model at a level, and cosine similarity.
/// </summary>
public sealed class DynamicOrtSession : IDisposable
{
    private readonly InferenceSession _session;

    public DynamicOrtSession(byte[] model, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_DISABLE_ALL, int threads = 1, string? optimizedPath = null)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level, IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        if (optimizedPath is not null) options.OptimizedModelFilePath = optimizedPath;
        _session = new InferenceSession(model, options);
    }

    /// <summary>The first output, as floats.</summary>
    public float[] Run(IReadOnlyDictionary<string, TestTensor> inputs)
    {
        var names = inputs.Keys.ToArray();
        var values = names.Select(n => ToOrt(inputs[n])).ToArray();
        try
        {
            using var run = new RunOptions();
            using var outputs = _session.Run(run, names, values, [_session.OutputNames[0]]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public void Dispose() => _session.Dispose();

    /// <summary>The graph ONNX Runtime runs for <paramref name="model"/> at <paramref name="level"/>, read back into the IR.</summary>
    public static Model Optimized(byte[] model, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        using var dir = TestPaths.NewTempDir();
        var path = dir.File("optimized.onnx");
        using (new DynamicOrtSession(model, level, optimizedPath: path)) { }
        return ModelReader.Read(path);
    }

    /// <summary>How many nodes of each op type every graph of <paramref name="model"/> holds.</summary>
    public static Dictionary<string, int> OpCounts(Model model) =>
        model.Graph.AllNodes().GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());

    public static double Cosine(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(Math.Max(na * nb, 1e-300));
    }

    private static OrtValue ToOrt(TestTensor t) => t.Data switch
    {
        float[] f => OrtValue.CreateTensorValueFromMemory(f, t.Dims),
        long[] l => OrtValue.CreateTensorValueFromMemory(l, t.Dims),
        bool[] b => OrtValue.CreateTensorValueFromMemory(b, t.Dims),
        int[] i => OrtValue.CreateTensorValueFromMemory(i, t.Dims),
        _ => throw new NotSupportedException(t.Data.GetType().Name),
    };
}
