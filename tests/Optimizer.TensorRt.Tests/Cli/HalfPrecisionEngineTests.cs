using System.Text.Json.Nodes;
using Optimizer.Cli;
using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>
/// <c>optimize MODEL --quantize fp16|bf16 --engine</c>: the converted model gets the precision flag its TensorRT needs
/// (--fp16/--bf16 on 10.x, none on 11's strongly typed networks), and the layer report counts the layers that ran in half.
/// </summary>
public sealed class HalfPrecisionEngineTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    private (int Code, string Stdout, string Stderr, JsonNode Manifest) Run(string version, string mode)
    {
        var model = _dir.File("tiny.onnx");
        if (!File.Exists(model)) File.Copy(Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx"), model);
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin-" + version), version);
        var output = _dir.File("out-" + version + mode);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = CommandLineApp.Run([model, "-o", output, "--quantize", mode, "--engine", "--trtexec", trtexec, "--engine-skip-inference"], stdout, stderr);
        var manifest = code == 0 ? JsonNode.Parse(File.ReadAllText(Path.Combine(output, "manifest.json")))! : new JsonObject();
        return (code, stdout.ToString(), stderr.ToString(), manifest);
    }

    private static string[] Flags(JsonNode manifest) => manifest["engine"]!["flags"]!.AsArray().Select(f => f!.GetValue<string>()).ToArray();

    [Theory]
    [InlineData("10.9.0.34", "--fp16")]
    [InlineData("8.6.1.6", "--fp16")]
    [InlineData("11.1.0.6", null)]
    public void Fp16ModelsGetTheFlagTheirTensorRtNeedsAndRunTheirLayersInHalf(string version, string? flag)
    {
        var (code, stdout, stderr, manifest) = Run(version, "fp16");

        Assert.True(code == ExitCodes.Success, stderr);
        var flags = Flags(manifest);
        if (flag is null) Assert.DoesNotContain(flags, f => f is "--fp16" or "--bf16" or "--int8" or "--best");
        else Assert.Contains(flag, flags);
        Assert.True(manifest["engine"]!["layers"]!["fp16"]!.GetValue<int>() > 0, stdout);
        Assert.NotNull(manifest["halfPrecision"]);
        Assert.Contains(" FP16, ", stdout);
    }

    [Fact]
    public void Bf16ModelsGetBf16On10x()
    {
        var (code, _, stderr, manifest) = Run("10.9.0.34", "bf16");

        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("--bf16", Flags(manifest));
        Assert.DoesNotContain("--fp16", Flags(manifest));
    }

    public void Dispose() => _dir.Dispose();
}
