using System.Text.Json.Nodes;
using Optimizer.Cli;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>
/// A float16 model quantized to INT8 for TensorRT: INT8 widens it to float32 first, so an engine built with --int8 alone
/// would run the layers left out of INT8 in FP32, slower than the user's FP16 engine; they get --fp16 beside it.
/// </summary>
public sealed class HalfFallbackEngineTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private static string Models => Path.Combine(TestPaths.RepoRoot, "models");

    private (int Code, string Stderr, string[] Flags) Int8Engine(string model, string output, params string[] more)
    {
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34");
        var stderr = new StringWriter();
        var code = CommandLineApp.Run([model, "-o", output, "--quantize", "int8", "--target", "tensorrt", "--calibrate", Path.Combine(Models, "tiny_cnn_data", "calib"),
            "--engine", "--trtexec", trtexec, "--engine-skip-inference", .. more], new StringWriter(), stderr);
        var flags = code == 0
            ? JsonNode.Parse(File.ReadAllText(Path.Combine(output, "manifest.json")))!["engine"]!["flags"]!.AsArray().Select(f => f!.GetValue<string>()).ToArray()
            : [];
        return (code, stderr.ToString(), flags);
    }

    [Fact]
    public void TheLayersLeftOutOfInt8RunInFp16AsTheInputModelDid()
    {
        var half = _dir.File("half");
        Assert.Equal(0, CommandLineApp.Run([Path.Combine(Models, "tiny_cnn.onnx"), "-o", half, "--quantize", "fp16"], new StringWriter(), new StringWriter()));

        var (code, stderr, flags) = Int8Engine(Path.Combine(half, "model.onnx"), _dir.File("int8_from_half"));

        Assert.True(code == 0, stderr);
        Assert.Contains("--int8", flags);
        Assert.Contains("--fp16", flags);
        Assert.Contains("note: the model was quantized from a float16 one", stderr);

        // an engine built later from the written INT8 model knows it too (the model's metadata says so)
        var later = _dir.File("later");
        var laterStderr = new StringWriter();
        Assert.Equal(0, CommandLineApp.Run(["engine", Path.Combine(_dir.File("int8_from_half"), "model.onnx"), "-o", later, "--trtexec", FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34"),
            "--skip-inference"], new StringWriter(), laterStderr));
        var laterFlags = JsonNode.Parse(File.ReadAllText(Path.Combine(later, "manifest.json")))!["engine"]!["flags"]!.AsArray().Select(f => f!.GetValue<string>()).ToArray();
        Assert.Contains("--int8", laterFlags);
        Assert.Contains("--fp16", laterFlags);

        // asked for INT8 alone: as asked
        var (askedCode, askedStderr, asked) = Int8Engine(Path.Combine(half, "model.onnx"), _dir.File("int8_only"), "--engine-precision", "int8");
        Assert.True(askedCode == 0, askedStderr);
        Assert.DoesNotContain("--fp16", asked);
    }

    [Fact]
    public void AFloat32ModelGetsInt8Alone()
    {
        var (code, stderr, flags) = Int8Engine(Path.Combine(Models, "tiny_cnn.onnx"), _dir.File("int8"));

        Assert.True(code == 0, stderr);
        Assert.Contains("--int8", flags);
        Assert.DoesNotContain("--fp16", flags);
        Assert.DoesNotContain("quantized from a float16 one", stderr);
    }
}
