using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// Models of the first exporters that ONNX Runtime 1.31 cannot load as they are (opset 6 Gemm, BatchNormalization,
/// PRelu, opset-1 AveragePool: no CPU kernel left): optimize upgrades them to opset 13 for every step that runs them
/// (calibration data, the FP32 baseline of --validate) and for what it writes, and says so once.
/// </summary>
public class LegacyInputTests
{
    private static string Converted(string name) => Path.Combine(TestPaths.OnnxBackendData, "pytorch-converted", name);

    /// <summary><c>optimize FOLDER/model.onnx -o DIR</c>, which must succeed; its stderr.</summary>
    private static string OptimizePlainly(string folder, TempDir dir)
    {
        var result = CliRunner.Run(Path.Combine(folder, "model.onnx"), "-o", dir.Path);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stderr;
    }

    [Theory]
    [InlineData("test_Linear")]
    [InlineData("test_BatchNorm2d_eval")]
    public void AnOpset6ModelOnnxRuntimeCannotLoadIsCalibratedQuantizedAndValidatedUpgraded(string name)
    {
        var folder = Converted(name);
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(Path.Combine(folder, "model.onnx"), "-o", dir.Path, "--quantize", "int8", "--calibrate", folder,
            "--validate", folder, "--max-accuracy-drop", "cosine=0.999");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith("note: ONNX Runtime cannot run the input model as it is (opset 6: Could not find an implementation for", StringComparison.Ordinal));
        var model = ModelReader.Read(dir.File("model.onnx"));
        Assert.True(model.GetOpset() >= 13);
        Assert.Contains("\"passed\": true", File.ReadAllText(dir.File(Path.Combine("validation", "report.json"))));
    }

    [Fact]
    public void WithoutQuantizationTheWrittenModelIsUpgradedAndGivesTheSuitesExpectedOutputs()
    {
        var folder = Converted("test_Linear");
        using var dir = TestPaths.NewTempDir();
        Assert.Contains("note: ONNX Runtime cannot run the input model as it is", OptimizePlainly(folder, dir));
        var written = dir.File("model.onnx");
        Assert.Equal(13, ModelReader.Read(written).GetOpset());
        var data = Path.Combine(folder, "test_data_set_0");
        var input = TensorFile.Read(Path.Combine(data, "input_0.pb"));
        var expected = TestTensor.FromTensor(TensorFile.Read(Path.Combine(data, "output_0.pb")));
        var inputName = ModelReader.Read(written).Graph.Inputs.First(v => !v.IsInitializer).Name;
        var actual = OrtRunner.RunFile(written, new Dictionary<string, TestTensor> { [inputName] = TestTensor.FromTensor(input) }).Values.Single();
        var (e, a) = (expected.AsDoubles(), actual.AsDoubles());
        Assert.Equal(e.Length, a.Length);
        for (var i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5 + 1e-4 * Math.Abs(e[i]), $"element {i}: {a[i]} against {e[i]}");
    }

    [Fact]
    public void AnOldModelOnnxRuntimeStillLoadsIsLeftAtItsOpset()
    {
        // opset 6 too, but its Conv(1) still has a kernel: nothing to say, nothing upgraded
        using var dir = TestPaths.NewTempDir();
        Assert.DoesNotContain("ONNX Runtime cannot run the input model", OptimizePlainly(Converted("test_Conv2d"), dir));
        Assert.Equal(6, ModelReader.Read(dir.File("model.onnx")).GetOpset());
    }

    [Fact]
    public void BenchOfSuchAModelSaysHowToGetOneOnnxRuntimeRuns()
    {
        var model = Path.Combine(Converted("test_Linear"), "model.onnx");
        var result = CliRunner.Run("bench", model, "--runs", "2");

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {model}: ONNX Runtime cannot load the model: Could not find an implementation for Gemm(6)", line);
        Assert.Contains("(its opset 6 predates ONNX Runtime's kernels; `optimize model.onnx -o DIR` writes it upgraded to opset 13", line);
    }
}
