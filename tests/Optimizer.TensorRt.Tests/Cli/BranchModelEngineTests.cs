using System.Text.Json.Nodes;
using Optimizer.Cli;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TensorRt.Tests.Flags;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>
/// Engines of models whose computation sits in If branches (as silero VAD v5's): converted with <c>--quantize fp16
/// --engine</c> or given to <c>optimize engine</c> already in half, they are built with --fp16 and their layers run in
/// FP16, not silently in FP32.
/// </summary>
public sealed class BranchModelEngineTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private string Write(ElementType type)
    {
        var path = _dir.File($"branches_{type}.onnx");
        ModelWriter.Write(ModelFactsReaderTests.BranchModel(type), path);
        return path;
    }

    private (int Code, string Stdout, string Stderr, JsonNode Manifest) Run(string output, params string[] args)
    {
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var skip = args[0] == "engine" ? "--skip-inference" : "--engine-skip-inference";
        var code = CommandLineApp.Run([.. args, "-o", output, "--trtexec", trtexec, skip], stdout, stderr);
        var manifest = code == 0 ? JsonNode.Parse(File.ReadAllText(Path.Combine(output, "manifest.json")))! : new JsonObject();
        return (code, stdout.ToString(), stderr.ToString(), manifest);
    }

    private static string[] Flags(JsonNode manifest) => manifest["engine"]!["flags"]!.AsArray().Select(f => f!.GetValue<string>()).ToArray();

    [Fact]
    public void QuantizingAModelWithBranchesToFp16BuildsAnFp16Engine()
    {
        var (code, stdout, stderr, manifest) = Run(_dir.File("out"), Write(ElementType.Float), "--quantize", "fp16", "--engine");

        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("--fp16", Flags(manifest));
        Assert.True(manifest["engine"]!["layers"]!["fp16"]!.GetValue<int>() > 0, stdout);
    }

    [Fact]
    public void TheEngineCommandGivesFp16ToAModelWithHalfBranchesAndNothingToAFloat32One()
    {
        var (code, stdout, stderr, manifest) = Run(_dir.File("half"), "engine", Write(ElementType.Float16));
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("--fp16", Flags(manifest));
        Assert.True(manifest["engine"]!["layers"]!["fp16"]!.GetValue<int>() > 0, stdout);

        var (code32, _, stderr32, manifest32) = Run(_dir.File("float"), "engine", Write(ElementType.Float));
        Assert.True(code32 == ExitCodes.Success, stderr32);
        Assert.DoesNotContain(Flags(manifest32), f => f is "--fp16" or "--bf16" or "--int8" or "--best");
    }
}
