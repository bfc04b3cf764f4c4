using System.Text.Json.Nodes;
using Optimizer.Cli;
using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>
/// Engine shapes for a model whose batch is stored as dim_value -1 and whose width as dim_param "?" (PaddlePaddle's
/// exporter): without shapes the profile and the hint are positive sizes, and given shapes are taken for those dims.
/// </summary>
public sealed class UnknownDimEngineTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private (int Code, string Stderr, List<string> Flags) Run(params string[] args)
    {
        var model = _dir.File("paddle.onnx");
        if (!File.Exists(model)) File.WriteAllBytes(model, ExporterDims.ReshapeByBatch(-1, "?"));
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = CommandLineApp.Run([.. args.Select(a => a == "MODEL" ? model : a), "--trtexec", trtexec], stdout, stderr);
        var manifest = _dir.File("out/manifest.json");
        var flags = code == ExitCodes.Success
            ? JsonNode.Parse(File.ReadAllText(manifest))!["engine"]!["flags"]!.AsArray().Select(f => f!.GetValue<string>()).ToList()
            : [];
        return (code, stderr.ToString(), flags);
    }

    [Fact]
    public void Without_shapes_the_profile_and_the_hint_are_positive_sizes()
    {
        var (code, stderr, flags) = Run("engine", "MODEL", "-o", _dir.File("out"), "--duration", "0.05");

        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("--minShapes=x:1x2x3x1", flags);
        Assert.Contains("--maxShapes=x:1x2x3x1", flags);
        Assert.Contains("e.g. x:1x2x3x1, to choose", stderr);
        Assert.DoesNotContain("-1x", stderr);
    }

    [Fact]
    public void Given_shapes_are_taken_for_the_stored_minus_one_by_engine_and_by_optimize_engine()
    {
        var (code, stderr, flags) = Run("engine", "MODEL", "-o", _dir.File("out"), "--duration", "0.05",
            "--min-shapes", "x:1x2x3x8", "--opt-shapes", "x:2x2x3x16", "--max-shapes", "x:4x2x3x32");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("--optShapes=x:2x2x3x16", flags);
        Assert.Contains("--maxShapes=x:4x2x3x32", flags);

        Directory.Delete(_dir.File("out"), recursive: true);
        var (again, given, written) = Run("MODEL", "-o", _dir.File("out"), "--engine", "--engine-duration", "0.05", "--engine-shapes", "x:2x2x3x5");
        Assert.True(again == ExitCodes.Success, given);
        Assert.Contains("--optShapes=x:2x2x3x5", written);
    }
}
