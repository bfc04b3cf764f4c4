using System.Text.Json.Nodes;
using Optimizer.Cli;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Cli;

/// <summary><c>optimize engine</c> end to end: exit codes, one-line errors, OUT/model.plan and the manifest.</summary>
public sealed class EngineCommandTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    private (int Code, string Stdout, string Stderr) Run(string version, string kind, string? fault, params string[] extra)
    {
        var model = _dir.File(kind + ".onnx");
        if (!File.Exists(model)) TestModels.Write(kind, model);
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin-" + version + fault), version, fault);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        string[] args = ["engine", model, "-o", Out, "--trtexec", trtexec, "--duration", "0.05", .. extra];
        var code = CommandLineApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string Out => _dir.File("out");

    [Theory]
    [InlineData("8.6.1.6")]
    [InlineData("11.1.0.6")]
    public void A_build_writes_the_engine_and_records_it_in_the_manifest(string version)
    {
        var (code, stdout, _) = Run(version, "qdq", null, "--engine-cache", _dir.File("cache"), "--require-int8");

        Assert.Equal(ExitCodes.Success, code);
        var plan = Path.Combine(Out, "model.plan");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Out, "manifest.json")))!;
        var engine = manifest["engine"]!;
        Assert.Equal(FileHash.Sha256(plan), engine["engine"]!["sha256"]!.GetValue<string>());
        Assert.Equal(FileHash.Sha256(_dir.File("qdq.onnx")), engine["onnx"]!["sha256"]!.GetValue<string>());
        Assert.Equal(string.Join('.', version.Split('.')[..3]), engine["tensorrt"]!["version"]!.GetValue<string>());
        Assert.Equal("NVIDIA GeForce RTX 3070", engine["gpu"]!["name"]!.GetValue<string>());
        Assert.Equal(1, engine["layers"]!["int8"]!.GetValue<int>());
        Assert.Equal("passed", engine["requireInt8"]!.GetValue<string>());
        Assert.Equal(FileHash.Sha256(plan), manifest["files"]!["engine"]!["sha256"]!.GetValue<string>());
        Assert.Contains("--saveEngine={model.plan}", engine["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Contains($"tensorrt   {(version.StartsWith("8.") ? "8.6.1" : version)} on NVIDIA GeForce RTX 3070", stdout);
        Assert.Contains("layers     1 INT8, 0 FP16, 2 FP32", stdout);
    }

    [Fact]
    public void Without_an_engine_cache_the_timing_cache_goes_to_the_test_processes_own_folder_not_home()
    {
        var own = TestPaths.UseOwnCacheFolder();
        Assert.Equal(own, Environment.GetEnvironmentVariable(Optimizer.TensorRt.Caching.EngineCache.CacheDirVariable));
        Assert.Equal(own, Optimizer.TensorRt.Caching.EngineCache.DefaultRoot());
        Assert.StartsWith(Path.GetFullPath(Path.GetTempPath()), Path.GetFullPath(own));
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.False(Path.GetFullPath(own).StartsWith(Path.Combine(home, ".cache"), StringComparison.Ordinal));

        var (code, _, _) = Run("10.9.0.34", "fp32", null);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains(Directory.EnumerateFiles(Path.Combine(own, "timing")), f => Path.GetFileName(f).StartsWith("10.9.0.34", StringComparison.Ordinal));
        Assert.Contains("--timingCacheFile=" + Path.Combine(own, "timing"), File.ReadAllText(Path.Combine(Out, Optimizer.TensorRt.Engines.EngineBuilder.LogFile)));
    }

    [Fact]
    public void The_second_build_of_the_same_model_comes_from_the_cache()
    {
        Run("10.9.0.34", "fp32", null, "--engine-cache", _dir.File("cache"));
        var (code, stdout, stderr) = Run("10.9.0.34", "fp32", null, "--engine-cache", _dir.File("cache"));
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("(from the engine cache)", stdout);
        Assert.Contains("engine reused from the cache", stderr);
    }

    [Fact]
    public void A_failed_rebuild_leaves_neither_the_old_engine_nor_its_manifest_entry()
    {
        Assert.Equal(ExitCodes.Success, Run("10.9.0.34", "fp32", null).Code);
        Assert.Equal(ExitCodes.ExternalToolFailed, Run("10.9.0.34", "fp32", "build-failed").Code);

        Assert.False(File.Exists(Path.Combine(Out, "model.plan")));
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Out, "manifest.json")))!;
        Assert.Null(manifest["engine"]);
        Assert.Null(manifest["files"]!["engine"]);
    }

    [Fact]
    public void Require_int8_on_a_model_without_QDQ_is_refused_before_trtexec_runs()
    {
        var (code, _, stderr) = Run("10.9.0.34", "fp32", null, "--require-int8");

        Assert.Equal(ExitCodes.InvalidInput, code);
        var error = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --require-int8: the model has no QuantizeLinear/DequantizeLinear nodes", error);
        Assert.False(Directory.Exists(Out)); // nothing built, nothing written
    }

    [Fact]
    public void A_cancelled_build_leaves_OUT_as_it_was()
    {
        Assert.Equal(ExitCodes.Success, Run("10.9.0.34", "fp32", null).Code);
        var before = Directory.EnumerateFiles(Out, "*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true })
            .ToDictionary(f => f, FileHash.Sha256);
        using var cancel = new CancellationTokenSource();
        var stderr = new CancellingWriter("trtexec: ", cancel);
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin-10.9.0.34"), "10.9.0.34", null);

        var code = CommandLineApp.Run(["engine", _dir.File("fp32.onnx"), "-o", Out, "--trtexec", trtexec, "--duration", "0.05"], new StringWriter(), stderr, cancel.Token);

        Assert.True(code == 130, stderr.ToString());
        var after = Directory.EnumerateFiles(Out, "*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = true })
            .ToDictionary(f => f, FileHash.Sha256);
        Assert.Equal(before, after);
    }

    /// <summary>Cancels the run when a text is first written (a Ctrl+C at that point).</summary>
    private sealed class CancellingWriter(string text, CancellationTokenSource cancel) : StringWriter
    {
        public override void Write(string? value)
        {
            base.Write(value);
            if (value?.Contains(text, StringComparison.Ordinal) == true) cancel.Cancel();
        }

        public override void Write(char value) => base.Write(value);
    }

    [Theory]
    [InlineData("build-failed", "trtexec failed (exit code 1)", true)]
    [InlineData("cuda", "without a FAILED line", true)]
    [InlineData("no-gpu", "no usable GPU", false)]
    public void A_failed_build_exits_3_with_one_error_line_and_no_engine(string fault, string message, bool built)
    {
        var (code, _, stderr) = Run("10.9.0.34", "fp32", fault);
        Assert.Equal(ExitCodes.ExternalToolFailed, code);
        var error = Assert.Single(stderr.Split('\n'), l => l.StartsWith("error: "));
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(Path.Combine(Out, "model.plan")));
        if (!built) return; // the GPU probe failed: no build, no log
        // The log it names is the published one (the staging folder it was written in is gone).
        var log = Path.Combine(Path.GetFullPath(Out), "trtexec.log");
        Assert.EndsWith($"Full log: {log}", error.TrimEnd());
        Assert.True(File.Exists(log));
    }

    [Fact]
    public void Quantized_layers_that_fell_back_fail_require_int8_with_exit_1()
    {
        var (code, stdout, stderr) = Run("10.13.0.35", "qdq-activation-only", null, "--require-int8");
        Assert.Equal(ExitCodes.GateFailed, code);
        Assert.Contains("fell back to a higher precision", stderr);
        Assert.Contains("fell back  Conv_", stdout);
        Assert.True(File.Exists(Path.Combine(Out, "model.plan")));
    }

    [Fact]
    public void A_missing_trtexec_exits_3_saying_where_it_looked()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        TestModels.Write("fp32", _dir.File("m.onnx"));
        var code = CommandLineApp.Run(["engine", _dir.File("m.onnx"), "-o", Out, "--trtexec", _dir.File("no/trtexec")], stdout, stderr);
        Assert.Equal(ExitCodes.ExternalToolFailed, code);
        Assert.Contains("trtexec not found", stderr.ToString());
    }

    [Fact]
    public void Asking_TensorRT_11_for_fp16_on_an_fp32_model_exits_2()
    {
        var (code, _, stderr) = Run("11.1.0.6", "fp32", null, "--precision", "fp16");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("strongly typed", stderr);
    }

    [Fact]
    public void Json_prints_the_manifest_section_and_pass_through_options_reach_trtexec()
    {
        var (code, stdout, _) = Run("10.9.0.34", "fp16", null, "--json", "--trtexec-arg=--useCudaGraph");
        Assert.Equal(ExitCodes.Success, code);
        var json = JsonNode.Parse(stdout)!;
        var flags = json["flags"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        Assert.Equal("--useCudaGraph", flags[^1]);
        Assert.Contains("--fp16", flags);
        Assert.Equal(FileHash.Sha256(Path.Combine(Out, "model.plan")), json["engine"]!["sha256"]!.GetValue<string>());
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_model_quantized_for_the_cpu_is_refused_before_trtexec_runs_pointing_at_target_tensorrt()
    {
        var models = Path.Combine(TestPaths.RepoRoot, "models");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var cpu = _dir.File("cpu");
        Assert.Equal(ExitCodes.Success, CommandLineApp.Run([Path.Combine(models, "tiny_cnn.onnx"), "-o", cpu, "--quantize", "int8",
            "--calibrate", Path.Combine(models, "tiny_cnn_data", "calib")], stdout, stderr));
        var trtexec = FakeTrtexec.Wrapper(_dir.File("bin"), "10.9.0.34");

        var engine = new StringWriter();
        var code = CommandLineApp.Run(["engine", Path.Combine(cpu, "model.onnx"), "-o", Out, "--trtexec", trtexec, "--duration", "0.05"], new StringWriter(), engine);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("INT8 in the layout of ONNX Runtime's CPU provider", engine.ToString());
        Assert.Contains("--target tensorrt", engine.ToString());
        Assert.False(Directory.Exists(Out) && Directory.EnumerateFileSystemEntries(Out).Any());

        // the root command refuses --engine with a CPU target before running anything
        var root = new StringWriter();
        Assert.Equal(ExitCodes.InvalidInput, CommandLineApp.Run([Path.Combine(models, "tiny_cnn.onnx"), "-o", _dir.File("root"), "--quantize", "int8",
            "--calibrate", Path.Combine(models, "tiny_cnn_data", "calib"), "--engine", "--trtexec", trtexec], new StringWriter(), root));
        Assert.Contains("--engine with --quantize int8 needs --target tensorrt", root.ToString());
        Assert.False(Directory.Exists(_dir.File("root")));
    }
}
