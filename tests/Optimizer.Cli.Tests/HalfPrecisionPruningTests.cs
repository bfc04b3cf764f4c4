using System.Text.Json;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Onnx.Verification;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// A model with float16 weights (the tool's own <c>--quantize fp16</c> of tiny_cnn) pruned and quantized: widened to
/// float32 first as INT8 widens it, so that pruning finds its channels; written back in float16 when INT8 quantizes
/// nothing; and a budget that holds with (nearly) nothing pruned is warned about.
/// </summary>
public class HalfPrecisionPruningTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");

    private static string HalfCnn(TempDir dir, string? model = null)
    {
        var result = CliRunner.Run(model ?? TinyCnn, "-o", dir.File("half"), "--quantize", "fp16");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var path = dir.File(Path.Combine("half", "model.onnx"));
        Assert.Contains(ModelReader.Read(path).Graph.Initializers, v => v.ElementType == ElementType.Float16);
        return path;
    }

    private static bool HasHalfWeights(string path) => ModelReader.Read(path).Graph.Initializers.Any(v => v.ElementType == ElementType.Float16);

    /// <summary>The written model runs in ONNX Runtime on the input model's seeded inputs, to finite outputs of the same shapes.</summary>
    private static void RunsLikeItsInput(string input, string written)
    {
        var inputs = OrtRunner.SeededInputs(ModelReader.Read(input));
        var before = OrtRunner.RunFile(input, inputs);
        var after = OrtRunner.RunFile(written, inputs);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, value) in after)
        {
            Assert.Equal(before[name].Dims, value.Dims);
            Assert.All(value.AsDoubles(), v => Assert.True(double.IsFinite(v)));
        }
    }

    [Fact]
    public void Float16WeightsAreWidenedThenPrunedAndFp16InTheSameCommandWritesThemHalfAgain()
    {
        using var dir = TestPaths.NewTempDir();
        var half = HalfCnn(dir);

        var structured = CliRunner.Run(half, "-o", dir.File("structured"), "--prune", "structured", "--prune-amount", "0.3", "--prune-channel-multiple", "1");
        Assert.True(structured.ExitCode == 0, structured.Stderr);
        Assert.Contains("with float16 weights): widened to float32 first", structured.Stderr);
        Assert.Contains("then pruned; the model written is float32 (--quantize fp16 in the same command converts it back)", structured.Stderr);
        Assert.DoesNotContain("no channel could be pruned", structured.Stderr);
        using (var report = JsonDocument.Parse(File.ReadAllText(dir.File(Path.Combine("structured", "report.json")))))
        {
            var p = report.RootElement.GetProperty("pruning");
            Assert.True(p.GetProperty("channelsRemoved").GetInt32() > 0, p.ToString());
            Assert.True(p.GetProperty("flopsAfter").GetInt64() < p.GetProperty("flopsBefore").GetInt64());
        }
        var structuredModel = dir.File(Path.Combine("structured", "model.onnx"));
        Assert.False(HasHalfWeights(structuredModel));
        Assert.Empty(ModelVerifier.Verify(ModelReader.Read(structuredModel)));
        RunsLikeItsInput(half, structuredModel);

        var unstructured = CliRunner.Run(half, "-o", dir.File("unstructured"), "--prune", "unstructured", "--prune-amount", "0.3");
        Assert.True(unstructured.ExitCode == 0, unstructured.Stderr);
        Assert.Contains("pruned to 30.0 % zero weights", unstructured.Stdout);

        var back = CliRunner.Run(half, "-o", dir.File("back"), "--prune", "structured", "--prune-amount", "0.3", "--prune-channel-multiple", "1", "--quantize", "fp16");
        Assert.True(back.ExitCode == 0, back.Stderr);
        Assert.Contains("then pruned; --quantize fp16 then converts it back", back.Stderr);
        var backModel = dir.File(Path.Combine("back", "model.onnx"));
        var conv = ModelReader.Read(backModel).Graph.Nodes.Where(n => n.OpType == "Conv").ToList();
        Assert.NotEmpty(conv);
        Assert.All(conv, n => Assert.Equal(ElementType.Float16, n.Input(1)!.ElementType));
        RunsLikeItsInput(half, backModel);
    }

    [Fact]
    public void Int8ThatQuantizesNothingWritesTheFloat16WeightsAsTheyWere()
    {
        // dynamic INT8 leaves Conv in float, and this model is Conv throughout: nothing is quantized
        using var dir = TestPaths.NewTempDir();
        var b = new GraphBuilder(seed: 11);
        var x = b.Input("x", ElementType.Float, 1, 3, 16, 16);
        var c1 = b.Op("Relu", [b.Op("Conv", [x, b.RandomInitializer("w1", 0.3f, 8, 3, 3, 3), b.RandomInitializer("b1", 0.1f, 8)], ("pads", new long[] { 1, 1, 1, 1 }))]);
        b.Output(b.Op("Conv", [c1, b.RandomInitializer("w2", 0.3f, 4, 8, 1, 1)]));
        ModelWriter.Write(b.Build(), dir.File("convs.onnx"));
        var half = HalfCnn(dir, dir.File("convs.onnx"));
        var result = CliRunner.Run(half, "-o", dir.File("int8"), "--quantize", "int8");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("quantized no node", result.Stderr);
        Assert.Contains("note: as INT8 quantized nothing, the model is written with its float16 weights as they were, not widened to float32", result.Stderr);
        var written = dir.File(Path.Combine("int8", "model.onnx"));
        Assert.True(HasHalfWeights(written));
        Assert.DoesNotContain(ModelReader.Read(written).Graph.Initializers, v => v.ElementType == ElementType.Float && v.Initializer!.Dims.Count == 4);
        Assert.True(new FileInfo(written).Length < new FileInfo(half).Length * 1.1, $"{new FileInfo(written).Length} against {new FileInfo(half).Length}");
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File(Path.Combine("int8", "report.json"))));
        var passes = report.RootElement.GetProperty("passResults").EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.DoesNotContain("widen-half-precision", passes);
        var before = OrtRunner.RunFile(half, OrtRunner.SeededInputs(ModelReader.Read(half)));
        var after = OrtRunner.RunFile(written, OrtRunner.SeededInputs(ModelReader.Read(half)));
        foreach (var (name, value) in before) Assert.True(OrtRunner.RelativeError(value.AsDoubles(), after[name].AsDoubles()) < 1e-3);
    }

    [Fact]
    public void ABudgetThatHoldsWithNothingPrunedIsWarnedAbout()
    {
        // Gemm -> LayerNormalization -> Relu -> Gemm: no channel is prunable, so any budget holds at 0 %
        using var dir = TestPaths.NewTempDir();
        var b = new GraphBuilder(seed: 3);
        var x = b.Input("x", ElementType.Float, 1, 32);
        var h = b.Op("Gemm", [x, b.RandomInitializer("w1", 0.3f, 32, 24), b.RandomInitializer("b1", 0.1f, 24)]);
        var n = b.Op("LayerNormalization", [h, b.RandomInitializer("g", 1f, 24), b.RandomInitializer("beta", 0.1f, 24)], ("axis", -1));
        b.Output(b.Op("Gemm", [b.Op("Relu", [n]), b.RandomInitializer("w2", 0.3f, 24, 2)]));
        var path = dir.File("head.onnx");
        ModelWriter.Write(b.Build(), path);
        Directory.CreateDirectory(dir.File("val"));
        var random = new Random(5);
        for (var i = 0; i < 3; i++)
        {
            var values = Enumerable.Range(0, 32).Select(_ => (float)random.NextDouble()).ToArray();
            AtomicFile.Write(dir.File($"val/{i:D4}.npy"), s => NpyFormat.Write(s, HostTensor.FromArray(values, [1, 32])));
        }

        var result = CliRunner.Run(path, "-o", dir.File("out"), "--prune", "structured", "--prune-amount", "0.3", "--validate", dir.File("val"), "--max-accuracy-drop", "cosine=0.99");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("accuracy budget held pruning 0.0 %", result.Stderr);
        Assert.Contains("warning: the accuracy budget held, but with 0.0 % of what was prunable removed where --prune-amount 0.3 (30.0 %) was asked (no channel was prunable)", result.Stderr);

        // the same model with float16 weights: widened to be pruned, and as nothing was, written as it was
        var half = HalfCnn(dir, path);
        var halfRun = CliRunner.Run(half, "-o", dir.File("half_out"), "--prune", "structured", "--prune-amount", "0.3");
        Assert.True(halfRun.ExitCode == 0, halfRun.Stderr);
        Assert.Contains("note: as pruning removed nothing, the model is written with its float16 weights as they were", halfRun.Stderr);
        Assert.True(HasHalfWeights(dir.File(Path.Combine("half_out", "model.onnx"))));

        // a budget that holds pruning what was asked gives no such warning
        var cnn = CliRunner.Run(TinyCnn, "-o", dir.File("cnn"), "--prune", "structured", "--prune-amount", "0.2", "--prune-channel-multiple", "1",
            "--validate", Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate"), "--max-accuracy-drop", "cosine=0.5");
        Assert.True(cnn.ExitCode == 0, cnn.Stderr);
        Assert.Contains("accuracy budget held pruning", cnn.Stderr);
        Assert.DoesNotContain("warning: the accuracy budget held", cnn.Stderr);
    }
}
