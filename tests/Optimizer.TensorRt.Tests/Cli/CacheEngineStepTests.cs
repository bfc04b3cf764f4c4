using Optimizer.Cli;
using Optimizer.Onnx.IO;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>
/// <c>--cache DIR</c> with <c>--engine</c>: the engine cache joins the step cache at DIR/engines; an engine flag changes
/// only the engine's key, and a damaged engine entry is reported and rebuilt, never used.
/// </summary>
public sealed class CacheEngineStepTests : IDisposable
{
    private static readonly string Models = Path.Combine(TestPaths.RepoRoot, "models");
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private (int Code, string Stderr) Run(string outDir, params string[] extra)
    {
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        string[] args = [Path.Combine(Models, "tiny_cnn.onnx"), "-o", _dir.File(outDir), "--quantize", "int8", "--calibrate", Path.Combine(Models, "tiny_cnn_data", "calib"),
            "--target", "tensorrt", "--engine", "--trtexec", trtexec, "--engine-shapes", "input:1x3x64x64", "--engine-duration", "0.05", "--cache", _dir.File("cache"), .. extra];
        var code = CommandLineApp.Run(args, stdout, stderr);
        return (code, stderr.ToString());
    }

    private string EngineEntry => Assert.Single(Directory.GetDirectories(_dir.File("cache/engines")));

    [Fact]
    public void A_second_run_reuses_both_steps_and_a_changed_engine_flag_rebuilds_only_the_engine()
    {
        var first = Run("a");
        var second = Run("b");
        var flagged = Run("c", "--engine-optimization-level", "5");

        Assert.True(first.Code == 0, first.Stderr);
        Assert.Contains("cache: optimize miss", first.Stderr);
        Assert.Contains("cache: engine miss", first.Stderr);
        Assert.Contains("cache: optimize hit", second.Stderr);
        Assert.Contains("cache: engine hit", second.Stderr);
        Assert.True(flagged.Code == 0, flagged.Stderr);
        Assert.Contains("cache: optimize hit", flagged.Stderr);
        Assert.Contains("cache: engine miss", flagged.Stderr);
        Assert.Equal(File.ReadAllBytes(_dir.File("a/model.plan")), File.ReadAllBytes(_dir.File("b/model.plan")));
        var keys = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_dir.File("c/manifest.json")))!["cache"]!;
        Assert.Equal(["optimize", "calibrate", "engine"], keys.AsObject().Select(k => k.Key));
        Assert.True(Directory.Exists(_dir.File($"cache/engines/{(string)keys["engine"]!}")));
        Assert.True(Directory.Exists(_dir.File($"cache/optimize/{(string)keys["optimize"]!}")));
        var engines = Directory.GetDirectories(_dir.File("cache/engines"));
        Assert.Equal(2, engines.Length);
        Assert.All(engines, e => Assert.Null(CacheEntryFolder.Check(e, out _)));
    }

    [Fact]
    public void The_engine_entry_is_listed_under_the_input_models_name()
    {
        Assert.Equal(0, Run("a").Code);

        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(0, CommandLineApp.Run(["cache", "list", "--cache", _dir.File("cache"), "--json"], stdout, stderr));
        var engines = System.Text.Json.Nodes.JsonNode.Parse(stdout.ToString())!["entries"]!.AsArray().Where(e => (string?)e!["step"] == "engines").ToList();
        // the engine was built from OUT's model.onnx, a file of the run; the entry names the model the user gave
        Assert.Equal("tiny_cnn.onnx", (string?)Assert.Single(engines)!["model"]);
    }

    [Fact]
    public void A_damaged_engine_entry_is_reported_and_rebuilt()
    {
        Assert.Equal(0, Run("a").Code);
        var plan = Path.Combine(EngineEntry, "model.plan");
        var bytes = File.ReadAllBytes(plan);
        bytes[^1] ^= 1;
        File.WriteAllBytes(plan, bytes);

        var second = Run("b");

        Assert.True(second.Code == 0, second.Stderr);
        Assert.Contains($"warning: the engine cache's entry {Path.GetFileName(EngineEntry)[..12]} was corrupt (model.plan does not match its sha256); it was deleted and the engine is built again", second.Stderr);
        Assert.Contains("cache: engine miss", second.Stderr);
        Assert.Equal(File.ReadAllBytes(_dir.File("a/model.plan")), File.ReadAllBytes(_dir.File("b/model.plan")));
        Assert.Null(CacheEntryFolder.Check(EngineEntry, out _));
    }
}
