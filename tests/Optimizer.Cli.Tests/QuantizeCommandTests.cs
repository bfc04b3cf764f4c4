using System.Text.Json;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>optimize MODEL --quantize int8</c> as users type it: static with --calibrate (and the table it writes reused
/// with --calibration-table), dynamic without, the TensorRT layout, and the refusals.
/// </summary>
public class QuantizeCommandTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
    private static readonly string Calib = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "calib");
    private static readonly string Held = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");

    [Fact]
    public void StaticQuantizationCalibratesWritesTheTableAndMeetsItsBudget()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--calibrate", Calib,
            "--validate", Held, "--max-accuracy-drop", "cosine=0.99");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var model = ModelReader.Read(dir.File("model.onnx"));
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "QuantizeLinear");
        Assert.Contains(model.Graph.Initializers, v => v.ElementType == ElementType.Int8);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var q = report.RootElement.GetProperty("quantization");
        Assert.Equal("static", q.GetProperty("mode").GetString());
        Assert.Equal(20, q.GetProperty("samples").GetInt32());
        Assert.True(q.GetProperty("quantizedNodes").GetInt32() >= 4);
        Assert.True(report.RootElement.GetProperty("validation").GetProperty("passed").GetBoolean());
        using var manifest = JsonDocument.Parse(File.ReadAllText(dir.File("manifest.json")));
        var mq = manifest.RootElement.GetProperty("quantization");
        Assert.Equal(64, mq.GetProperty("calibrationDataSha256").GetString()!.Length);
        Assert.Contains("INT8 quantization", File.ReadAllText(dir.File("report.md")));
        Assert.True(File.Exists(dir.File("calibration.json")));
        Assert.False(File.Exists(dir.File("calibration.cache")));
    }

    [Fact]
    public void TheCalibrationTableReproducesTheSameModelWithoutData()
    {
        using var first = TestPaths.NewTempDir();
        using var second = TestPaths.NewTempDir();
        Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", first.Path, "--quantize", "int8", "--calibrate", Calib).ExitCode);
        var result = CliRunner.Run(TinyCnn, "-o", second.Path, "--quantize", "int8", "--calibration-table", first.File("calibration.json"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(File.ReadAllBytes(first.File("model.onnx")), File.ReadAllBytes(second.File("model.onnx")));
    }

    [Fact]
    public void ATableThatLacksTheModelsTensorsIsRefusedNamingThem()
    {
        using var first = TestPaths.NewTempDir();
        using var second = TestPaths.NewTempDir();
        Assert.Equal(0, CliRunner.Run(TinyCnn, "-o", first.Path, "--quantize", "int8", "--calibrate", Calib).ExitCode);
        var table = JsonDocument.Parse(File.ReadAllText(first.File("calibration.json"))).RootElement;
        var firstTensor = table.GetProperty("ranges").EnumerateObject().First().Name;
        var text = File.ReadAllText(first.File("calibration.json")).Replace($"\"{firstTensor}\"", "\"not_in_this_model\"");
        File.WriteAllText(first.File("stale.json"), text);

        var result = CliRunner.Run(TinyCnn, "-o", second.Path, "--quantize", "int8", "--calibration-table", first.File("stale.json"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(firstTensor, result.Stderr);
        Assert.False(File.Exists(second.File("model.onnx")));
    }

    [Fact]
    public void TheTensorRtTargetIsSymmetricAndWritesTensorRtsCalibrationCache()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--calibrate", Calib, "--target", "tensorrt");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var model = ModelReader.Read(dir.File("model.onnx"));
        var quantizers = model.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear").ToList();
        Assert.NotEmpty(quantizers);
        foreach (var q in quantizers)
        {
            var zero = q.Input(2)!.GetConstant()!;
            Assert.Equal(ElementType.Int8, zero.ElementType);
            Assert.All(zero.ToArray<sbyte>(), z => Assert.Equal(0, z));
            Assert.Empty(q.Input(1)!.GetConstant()!.Dims);
        }
        var cache = File.ReadAllLines(dir.File("calibration.cache"));
        Assert.Matches(@"^TRT-\d+-EntropyCalibration2$", cache[0]);
        Assert.All(cache.Skip(1), line => Assert.Matches(@"^.+: [0-9a-f]{8}$", line));
    }

    [Fact]
    public void WithoutCalibrationDataTheQuantizationIsDynamic()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.Path, "--quantize", "int8", "--validate", Held, "--max-accuracy-drop", "cosine=0.99");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var model = ModelReader.Read(dir.File("model.onnx"));
        Assert.Contains(model.Graph.Nodes, n => n.OpType == "DynamicQuantizeLinear");
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        Assert.Equal("dynamic", report.RootElement.GetProperty("quantization").GetProperty("mode").GetString());
        Assert.False(File.Exists(dir.File("calibration.json")));
    }

    [Theory]
    [InlineData("needs --quantize int8", "--calibrate", "CALIB")]
    [InlineData("expected int8", "--quantize", "int4")]
    [InlineData("expected minmax, percentile or entropy", "--quantize", "int8", "--calibrate", "CALIB", "--calibration-method", "mean")]
    [InlineData("needs --calibrate", "--quantize", "int8", "--calibration-method", "entropy")]
    [InlineData("--target tensorrt needs --calibrate", "--quantize", "int8", "--target", "tensorrt")]
    [InlineData("expected cpu or tensorrt", "--quantize", "int8", "--calibrate", "CALIB", "--target", "gpu")]
    [InlineData("choose one", "--quantize", "int8", "--calibrate", "CALIB", "--calibration-table", "TABLE")]
    [InlineData("at most 100", "--quantize", "int8", "--calibrate", "CALIB", "--percentile", "120")]
    [InlineData("does not exist", "--quantize", "int8", "--calibrate", "/nonexistent/calibration")]
    public void BadQuantizationOptionsAreRefusedWithExitTwoAndNothingWritten(string message, params string[] options)
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("table.json"), "{}");
        var args = new[] { TinyCnn, "-o", dir.File("out") }
            .Concat(options.Select(o => o == "CALIB" ? Calib : o == "TABLE" ? dir.File("table.json") : o)).ToArray();

        var result = CliRunner.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void ACorruptCalibrationTableIsRefusedNamingTheFile()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("table.json"), "{ not json");
        var result = CliRunner.Run(TinyCnn, "-o", dir.File("out"), "--quantize", "int8", "--calibration-table", dir.File("table.json"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("table.json", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(File.Exists(dir.File("out/model.onnx")));
    }
}
