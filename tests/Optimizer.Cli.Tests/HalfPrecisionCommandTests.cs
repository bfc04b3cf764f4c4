using System.Text.Json;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>optimize MODEL --quantize fp16|bf16</c> as users type it: the report, manifest and warnings; the range check on
/// --calibrate data; the accuracy budget; the pipeline file keys; and the refusals.
/// </summary>
public class HalfPrecisionCommandTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
    private static readonly string Held = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");

    [Fact]
    public void Fp16WritesAHalfModelWithAFloat32InterfaceAndReportsWhatItDid()
    {
        using var dir = TestPaths.NewTempDir();
        var inputHash = FileHash.Sha256(TinyCnn);
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "fp16");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("warning: no range check was made", result.Stderr);
        Assert.Equal(inputHash, FileHash.Sha256(TinyCnn));
        var model = ModelReader.Read(dir.File("model.onnx"));
        Assert.All(model.Graph.Inputs.Concat(model.Graph.Outputs), v => Assert.Equal(ElementType.Float, v.ElementType));
        Assert.Contains(model.Graph.Initializers, v => v.ElementType == ElementType.Float16);
        Assert.DoesNotContain(model.Graph.Initializers, v => v.ElementType == ElementType.Float);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var h = report.RootElement.GetProperty("halfPrecision");
        Assert.Equal("fp16", h.GetProperty("target").GetString());
        Assert.True(h.GetProperty("convertedNodes").GetInt32() >= 5);
        Assert.Equal(2, h.GetProperty("castsInserted").GetInt32());
        Assert.StartsWith("no range check was made", h.GetProperty("rangeCheck").GetString());
        Assert.InRange((double)h.GetProperty("bytesAfter").GetInt64() / h.GetProperty("bytesBefore").GetInt64(), 0.4, 0.6);
        Assert.Contains("## FP16 conversion", File.ReadAllText(dir.File("report.md")));
        using var manifest = JsonDocument.Parse(File.ReadAllText(dir.File("manifest.json")));
        Assert.Equal("fp16", manifest.RootElement.GetProperty("halfPrecision").GetProperty("target").GetString());
    }

    [Fact]
    public void CalibrationDataKeepsTheOverflowingNodesFloat32AndTheOutputsFinite()
    {
        using var dir = TestPaths.NewTempDir();
        var (modelPath, data) = OverflowingModel(dir);
        var checkedRun = CliRunner.Run(modelPath, "-o", dir.File("checked"), "--quantize", "fp16", "--calibrate", data, "--no-keep-io-types");
        var blindRun = CliRunner.Run(modelPath, "-o", dir.File("blind"), "--quantize", "fp16", "--no-keep-io-types");

        Assert.True(checkedRun.ExitCode == 0, checkedRun.Stderr);
        Assert.True(blindRun.ExitCode == 0, blindRun.Stderr);
        Assert.DoesNotContain("no range check", checkedRun.Stderr);
        Assert.Contains("no range check was made", blindRun.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.File("checked"), "report.json")));
        var kept = report.RootElement.GetProperty("halfPrecision").GetProperty("keptFloat").EnumerateArray()
            .Select(k => (Node: k.GetProperty("node").GetString(), Reason: k.GetProperty("reason").GetString()!)).ToList();
        Assert.Contains(kept, k => k.Node == "Square" && k.Reason.Contains("on the calibration data", StringComparison.Ordinal));
        var x = new Dictionary<string, TestTensor> { ["x"] = new(ElementType.Float16, [1, 4], new[] { (Half)1f, (Half)(-0.5f), (Half)0.25f, (Half)0.9f }) };
        var blind = OrtRunner.RunFile(Path.Combine(dir.File("blind"), "model.onnx"), x);
        var checkedOutputs = OrtRunner.RunFile(Path.Combine(dir.File("checked"), "model.onnx"), x);
        Assert.Contains(blind["square"].AsDoubles(), double.IsInfinity);
        Assert.All(checkedOutputs.Values.SelectMany(t => t.AsDoubles()), v => Assert.True(double.IsFinite(v)));
        Assert.Equal(90000, checkedOutputs["square"].AsDoubles()[0], 1);
    }

    [Fact]
    public void TheRangeCheckObservesValuesInsideIfBranches()
    {
        // Silero VAD: its computation sits in If branches; one reference frame (input, sr, h, c) as calibration data.
        using var dir = TestPaths.NewTempDir();
        var data = dir.File("vad");
        Directory.CreateDirectory(data);
        foreach (var name in new[] { "input", "sr", "h", "c" })
            File.Copy(Path.Combine(TestPaths.SharedModels, "ref", "silero_vad_legacy", name + ".npy"), Path.Combine(data, name + "_0000.npy"));
        var result = CliRunner.Run(TestPaths.SharedModel("silero_vad_legacy.onnx"), "-o", dir.File("out"), "--quantize", "fp16", "--calibrate", data);

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.File("out"), "report.json")));
        var check = report.RootElement.GetProperty("halfPrecision").GetProperty("rangeCheck").GetString()!;
        Assert.Matches(@"^\d{3} float values observed on 1 samples", check);
    }

    /// <summary>square = (x*300)^2 (over 65504 for |x| above 0.85) and y = Sqrt(square) - 1; data: 8 samples of x in [-1, 1].</summary>
    private static (string Model, string Data) OverflowingModel(TempDir dir)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 4);
        var big = b.Op("Mul", [x, b.Initializer("k", [300f], 1)]);
        var square = b.Graph.AddNode("Mul", [big, big], ["square"], name: "Square").Output();
        b.Output(square, b.Op("Sub", [b.Op("Sqrt", [square]), b.Initializer("one", [1f], 1)]));
        var path = dir.File("overflow.onnx");
        ModelWriter.Write(b.Model, path);
        var data = dir.File("data");
        Directory.CreateDirectory(data);
        var random = new Random(7);
        for (var i = 0; i < 8; i++)
        {
            NpyFormat.Write(Path.Combine(data, $"x_{i:D4}.npy"), HostTensor.FromArray(Enumerable.Range(0, 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), [1, 4]));
        }
        return (path, data);
    }

    [Fact]
    public void ABudgetTheFullConversionMissesKeepsTheNodesThatAddTheMostErrorInFloat32()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "fp16", "--validate", Held, "--max-accuracy-drop", "sqnr=69");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("accuracy budget missed with 0 nodes in float32", result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var budget = report.RootElement.GetProperty("halfPrecision").GetProperty("budget");
        Assert.True(budget.GetProperty("passed").GetBoolean());
        var kept = budget.GetProperty("keptInFloat").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.NotEmpty(kept);
        Assert.Equal("b1.conv", kept[0]);
        var errors = report.RootElement.GetProperty("halfPrecision").GetProperty("nodeErrors").EnumerateArray().ToList();
        Assert.True(errors[0].GetProperty("addedLossDb").GetDouble() >= errors[^1].GetProperty("addedLossDb").GetDouble());
        Assert.True(report.RootElement.GetProperty("validation").GetProperty("passed").GetBoolean());
        Assert.Contains("Accuracy budget held with", File.ReadAllText(dir.File("report.md")));
    }

    [Fact]
    public void ABudgetNothingMeetsExits1WithTheFigures()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "fp16", "--validate", Held, "--max-accuracy-drop", "max-abs=0");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("accuracy budget missed", result.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        Assert.False(report.RootElement.GetProperty("halfPrecision").GetProperty("budget").GetProperty("passed").GetBoolean());
    }

    [Theory]
    [InlineData("INT8 option", "--quantize", "fp16", "--target", "tensorrt")]
    [InlineData("INT8 option", "--quantize", "bf16", "--smooth-quant", "0.5")]
    [InlineData("needs --quantize fp16 or bf16", "--no-keep-io-types")]
    [InlineData("needs --quantize fp16 or bf16", "--quantize", "int8", "--keep-io-types")]
    [InlineData("contradict", "--quantize", "fp16", "--keep-io-types", "--no-keep-io-types")]
    [InlineData("expected int8, fp16 or bf16", "--quantize", "fp8")]
    [InlineData("--calibration-samples needs --calibrate", "--quantize", "fp16", "--calibration-samples", "3")]
    [InlineData("validate with --keep-io-types", "--quantize", "fp16", "--no-keep-io-types", "--validate", "VALIDATE")]
    public void BadCombinationsExit2WithOneLineAndWriteNothing(string message, params string[] args)
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run([TinyCnn, "-o", dir.File("out"), .. args.Select(a => a == "VALIDATE" ? Held : a)]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void APipelineFileAsksForBf16WithAHalfInterface()
    {
        using var dir = TestPaths.NewTempDir();
        var pipeline = dir.File("pipeline.yaml");
        File.WriteAllText(pipeline, $"model: {TinyCnn}\noutput: {dir.File("out")}\nquantize: bf16\nno-keep-io-types: true\n");
        var result = CliRunner.Run("run", pipeline);

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var model = ModelReader.Read(Path.Combine(dir.File("out"), "model.onnx"));
        Assert.Equal(ElementType.BFloat16, model.Graph.Inputs[0].ElementType);
        Assert.Equal(22, model.GetOpset());
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == "Cast");
    }

    [Theory]
    [InlineData("cpu", 0.74, 0.76, true)]
    [InlineData("cpu", 1.3, null, false)]     // faster: nothing to explain
    [InlineData("cpu", 0.97, 1.02, false)]    // within the timing noise
    [InlineData("cuda", 0.74, 0.76, false)]   // slower on a GPU is no CPU artefact
    public void AHalfModelSlowerOnTheCpuGetsANotePointingAtTheGpu(string provider, double speedup, double? high, bool noted)
    {
        using var dir = TestPaths.NewTempDir();
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var estimate = high is { } h ? $", \"estimate\": {{\"high\": {h.ToString(c)}}}" : "";
        File.WriteAllText(dir.File("report.json"),
            $"{{\"latencySessionOptions\": {{\"provider\": \"{provider}\"}}, \"latency\": {{\"speedup\": {speedup.ToString(c)}{estimate}}}}}");
        var stderr = new StringWriter();
        Optimizer.Cli.Pipeline.PipelineValidation.NoteWhenHalfSlowerOnCpu(dir.Path, "FP16", stderr);
        Assert.Equal(noted, stderr.ToString().Contains($"note: the FP16 model ran slower than the FP32 input on the CPU ({speedup:0.00}x"));
        if (noted) Assert.Contains("pays on a GPU", stderr.ToString());
    }
}
