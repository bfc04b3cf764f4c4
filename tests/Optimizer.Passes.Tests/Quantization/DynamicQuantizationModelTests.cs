using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Passes.Tests.Quantization;

/// <summary>
/// The real encoders after the default pipeline and dynamic quantization, against their FP32 selves on the shared
/// calibration sentences (ONNX Runtime optimizations off, so only the quantization is measured), and the graph
/// ONNX Runtime makes of them: every MatMulInteger fused into its integer kernels.
/// </summary>
public sealed class DynamicQuantizationModelTests(ITestOutputHelper output)
{
    [Fact]
    public void BertMiniKeepsItsLastHiddenState()
    {
        var (fp32, int8) = Prepare("bert_mini.onnx");
        var worst = WorstCosine(fp32, int8, Samples("bert_calib", "input_ids", "attention_mask"), pooled: false);
        output.WriteLine($"bert_mini: worst cosine of the last hidden state over 100 samples {worst:F6}");
        Assert.InRange(worst, 0.9999, 1);
    }

    [Fact]
    public void ArcticEmbedKeepsItsSentenceEmbeddings()
    {
        var (fp32, int8) = Prepare("arctic_embed_xs.onnx");
        var worst = WorstCosine(fp32, int8, Samples("text_calib", "input_ids", "attention_mask", "token_type_ids"), pooled: true);
        output.WriteLine($"arctic_embed_xs: worst cosine of the mean-pooled embedding over 100 samples {worst:F6}");
        Assert.InRange(worst, 0.998, 1);
    }

    [Fact]
    public void QuantizedBertMiniRunsAtEveryLevelAndOnnxRuntimeFusesEveryMatMulInteger()
    {
        var (_, int8) = Prepare("bert_mini.onnx");
        var sample = Samples("bert_calib", "input_ids", "attention_mask").Take(3).ToList();
        using var reference = new DynamicOrtSession(int8);
        foreach (var level in new[] { GraphOptimizationLevel.ORT_ENABLE_BASIC, GraphOptimizationLevel.ORT_ENABLE_EXTENDED, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            using var session = new DynamicOrtSession(int8, level);
            foreach (var inputs in sample)
                Assert.InRange(DynamicOrtSession.Cosine(reference.Run(inputs), session.Run(inputs)), 0.9999, 1);
        }
        var ops = DynamicOrtSession.OpCounts(DynamicOrtSession.Optimized(int8));
        output.WriteLine("ONNX Runtime (ORT_ENABLE_ALL) runs: " + string.Join(", ", ops.OrderByDescending(p => p.Value).Select(p => $"{p.Key} x{p.Value}")));
        var fused = ops.GetValueOrDefault("DynamicQuantizeMatMul") + ops.GetValueOrDefault("MatMulIntegerToFloat");
        Assert.Equal(24, fused);
        Assert.False(ops.ContainsKey("MatMulInteger"));
    }

    [Fact]
    public void SileroVadDeclinesItsLstmAndConvInsideTheIfBranches()
    {
        var model = ModelReader.Read(TestPaths.SharedModel("silero_vad_legacy.onnx"));
        Pipelines.RunDefault(model);
        var lstms = model.Graph.AllNodes().Count(n => n.OpType == "LSTM");
        Assert.True(lstms > 0 && model.Graph.Nodes.All(n => n.OpType != "LSTM"));
        var run = PassHarness.Run(model, new DynamicQuantization(new QuantizationSettings()));
        Assert.Equal(lstms, run.Declines.Count(d => d.Reason.StartsWith("DynamicQuantizeLSTM is a com.microsoft op", StringComparison.Ordinal)));
        Assert.Contains(run.Declines, d => d.Reason.StartsWith("Conv stays float", StringComparison.Ordinal));
        Assert.False(run.Records[0].Changed);
    }

    /// <summary>The model after the default pipeline (FP32) and after dynamic quantization too (INT8), serialized.</summary>
    private static (byte[] Fp32, byte[] Int8) Prepare(string file)
    {
        var model = ModelReader.Read(TestPaths.SharedModel(file));
        Pipelines.RunDefault(model);
        var fp32 = ModelWriter.ToBytes(model);
        var run = PassHarness.Run(model, new DynamicQuantization(new QuantizationSettings()));
        Assert.True(run.Records[0].Changed);
        return (fp32, ModelWriter.ToBytes(run.Model));
    }

    /// <summary>The 100 samples of a calibration folder, each input read from NAME_NNNN.npy.</summary>
    internal static IEnumerable<Dictionary<string, TestTensor>> Samples(string folder, params string[] inputs)
    {
        var dir = TestPaths.SharedModel(folder);
        for (var i = 0; File.Exists(Path.Combine(dir, $"{inputs[0]}_{i:D4}.npy")); i++)
            yield return inputs.ToDictionary(n => n, n => ReferenceData.Npy(Path.Combine(dir, $"{n}_{i:D4}.npy")));
    }

    private static double WorstCosine(byte[] fp32, byte[] int8, IEnumerable<Dictionary<string, TestTensor>> samples, bool pooled)
    {
        using var a = new DynamicOrtSession(fp32);
        using var b = new DynamicOrtSession(int8);
        var worst = 1.0;
        var count = 0;
        foreach (var inputs in samples)
        {
            var mask = pooled ? (long[])inputs["attention_mask"].Data : null;
            var (x, y) = (a.Run(inputs), b.Run(inputs));
            if (mask is not null) (x, y) = (MeanPool(x, mask), MeanPool(y, mask));
            worst = Math.Min(worst, DynamicOrtSession.Cosine(x, y));
            count++;
        }
        Assert.Equal(100, count);
        return worst;
    }

    /// <summary>The mean of the hidden states [1, seq, hidden] over the positions the attention mask keeps.</summary>
    internal static float[] MeanPool(float[] hidden, long[] mask)
    {
        var width = hidden.Length / mask.Length;
        var sum = new float[width];
        var kept = 0;
        for (var t = 0; t < mask.Length; t++)
        {
            if (mask[t] == 0) continue;
            kept++;
            for (var j = 0; j < width; j++) sum[j] += hidden[t * width + j];
        }
        return sum.Select(s => s / Math.Max(kept, 1)).ToArray();
    }
}
