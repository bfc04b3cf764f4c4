using System.Text.Json.Nodes;
using Optimizer.Cli;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary>
/// <c>optimize MODEL --engine</c>: the pipeline writes the ONNX model, then the engine is built from that written
/// model (not from the input), and a missing trtexec still leaves the ONNX outputs in place.
/// </summary>
public sealed class OptimizeWithEngineTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    private string Out => _dir.File("out");

    private (int Code, string Stdout, string Stderr) Run(params string[] extra)
    {
        var model = _dir.File("tiny.onnx");
        if (!File.Exists(model)) File.Copy(Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx"), model);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = CommandLineApp.Run([model, "-o", Out, .. extra], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void The_engine_is_built_from_the_optimized_model_and_recorded_beside_it()
    {
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34");
        var (code, stdout, stderr) = Run("--engine", "--trtexec", trtexec, "--engine-duration", "0.05", "--engine-shapes", "input:2x3x64x64");

        Assert.True(code == ExitCodes.Success, stderr);
        var onnx = Path.Combine(Out, "model.onnx");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Out, "manifest.json")))!;
        Assert.Equal(FileHash.Sha256(onnx), manifest["engine"]!["onnx"]!["sha256"]!.GetValue<string>());
        Assert.NotEqual(FileHash.Sha256(_dir.File("tiny.onnx")), manifest["engine"]!["onnx"]!["sha256"]!.GetValue<string>());
        Assert.Equal(FileHash.Sha256(onnx), manifest["files"]!["model"]!["sha256"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(Out, "model.plan")));
        Assert.Contains("--optShapes=input:2x3x64x64", manifest["engine"]!["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Contains("nodes; input had 13", stdout);
        Assert.Contains("engine     ", stdout);
    }

    [Fact]
    public void With_json_stdout_holds_only_the_pipeline_report()
    {
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "11.1.0.6");
        var (code, stdout, _) = Run("--engine", "--trtexec", trtexec, "--engine-skip-inference", "--json");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal(13, JsonNode.Parse(stdout)!["before"]!["nodeCount"]!.GetValue<int>());
    }

    [Fact]
    public void Without_shapes_the_engine_takes_those_of_the_first_sample_of_the_runs_data()
    {
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34");
        var data = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");
        var (code, _, stderr) = Run("--engine", "--trtexec", trtexec, "--engine-duration", "0.05", "--validate", data);

        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains($"engine shapes from the first sample of {data}: input:1x3x64x64", stderr);
        Assert.DoesNotContain("no shapes were given", stderr);
        var flags = JsonNode.Parse(File.ReadAllText(Path.Combine(Out, "manifest.json")))!["engine"]!["flags"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        Assert.Contains("--optShapes=input:1x3x64x64", flags);

        // shapes given are kept
        var (again, _, given) = Run("--engine", "--trtexec", trtexec, "--engine-duration", "0.05", "--validate", data, "--engine-shapes", "input:2x3x64x64");
        Assert.True(again == ExitCodes.Success, given);
        Assert.DoesNotContain("engine shapes from the first sample", given);
        Assert.Contains("--optShapes=input:2x3x64x64",
            JsonNode.Parse(File.ReadAllText(Path.Combine(Out, "manifest.json")))!["engine"]!["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
    }

    [Fact]
    public void Samples_of_different_shapes_give_the_engine_a_profile_that_spans_them()
    {
        // three samples at batch 1, 3 and 2 (the model's batch is open): min 1, opt the first's 1, max 3
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34");
        var data = _dir.File("batches");
        Directory.CreateDirectory(data);
        var random = new Random(5);
        foreach (var (batch, i) in new[] { 1, 3, 2 }.Select((b, i) => (b, i)))
        {
            var x = Enumerable.Range(0, batch * 3 * 64 * 64).Select(_ => (float)random.NextDouble()).ToArray();
            Optimizer.Runtime.Data.NpyFormat.Write(Path.Combine(data, $"sample_{i:0000}.npy"), Optimizer.Runtime.Data.HostTensor.FromArray(x, [batch, 3, 64, 64]));
        }
        var (code, _, stderr) = Run("--engine", "--trtexec", trtexec, "--engine-duration", "0.05", "--validate", data);

        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains($"engine shapes from the 3 samples of {data}, whose shapes differ: min input:1x3x64x64, opt input:1x3x64x64 (the first), max input:3x3x64x64", stderr);
        var flags = JsonNode.Parse(File.ReadAllText(Path.Combine(Out, "manifest.json")))!["engine"]!["flags"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        Assert.Contains("--minShapes=input:1x3x64x64", flags);
        Assert.Contains("--optShapes=input:1x3x64x64", flags);
        Assert.Contains("--maxShapes=input:3x3x64x64", flags);
    }

    [Fact]
    public void A_missing_trtexec_exits_3_and_leaves_the_onnx_outputs()
    {
        var (code, _, stderr) = Run("--engine", "--trtexec", _dir.File("nowhere/trtexec"));

        Assert.Equal(ExitCodes.ExternalToolFailed, code);
        Assert.Contains("trtexec not found", stderr);
        Assert.True(File.Exists(Path.Combine(Out, "model.onnx")));
        Assert.True(File.Exists(Path.Combine(Out, "report.json")));
        Assert.False(File.Exists(Path.Combine(Out, "model.plan")));
    }

    [Fact]
    public void A_failed_build_publishes_the_onnx_outputs_and_names_the_published_log()
    {
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34", "build-failed");
        var (code, _, stderr) = Run("--engine", "--trtexec", trtexec);

        Assert.Equal(ExitCodes.ExternalToolFailed, code);
        var error = Assert.Single(stderr.Split('\n'), l => l.StartsWith("error: "));
        var log = Path.Combine(Path.GetFullPath(Out), "trtexec.log");
        Assert.EndsWith($"Full log: {log}", error.TrimEnd());
        Assert.True(File.Exists(log));
        Assert.True(File.Exists(Path.Combine(Out, "model.onnx")));
        Assert.False(File.Exists(Path.Combine(Out, "model.plan")));
    }

    [Fact]
    public void A_model_that_fails_validation_gets_no_engine()
    {
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34");
        var data = ImageFolder();
        var (code, _, stderr) = Run("--validate", data, "--min-speedup", "1000", "--engine", "--trtexec", trtexec);

        Assert.Equal(ExitCodes.GateFailed, code);
        Assert.Contains("not building the TensorRT engine", stderr);
        Assert.False(File.Exists(Path.Combine(Out, "model.plan")));
        Assert.True(File.Exists(Path.Combine(Out, "model.onnx")));
    }

    /// <summary>Three of the shared images, which the tiny model's 64x64 input gets by resizing and cropping.</summary>
    private string ImageFolder()
    {
        var folder = _dir.File("images");
        Directory.CreateDirectory(folder);
        foreach (var image in Directory.EnumerateFiles(Path.Combine(TestPaths.SharedModels, "images"), "*.png").Order().Take(3))
            File.Copy(image, Path.Combine(folder, Path.GetFileName(image)));
        return folder;
    }

    public void Dispose() => _dir.Dispose();
}
