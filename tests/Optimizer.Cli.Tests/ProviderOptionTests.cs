using System.Text.Json;
using Optimizer.Cli.Commands;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// --device and --provider-option KEY=VALUE: ONNX Runtime's own key names, checked before any provider library loads
/// (exit 2 with the key meant, or what the value must be), and the options in effect in bench's, validate's and the
/// root command's reports. This test run links the CPU package, so a valid GPU request ends in the flavour's refusal.
/// </summary>
public sealed class ProviderOptionTests
{
    private static string TinyCnn => Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");
    private static string TinyCnnData => Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn_data", "validate");

    private static IReadOnlyDictionary<string, string> Check(string provider, params string[] given) => ProviderOptionSet.Check(null, given, provider);

    private static string Refusal(string provider, params string[] given) =>
        Assert.Throws<InvalidInputException>(() => ProviderOptionSet.Check(null, given, provider)).Message;

    [Fact]
    public void Values_come_back_in_the_form_onnx_runtime_reads()
    {
        var cuda = Check("cuda", "cudnn_conv_algo_search=heuristic", "use_tf32=false", "gpu_mem_limit=2147483648", "arena_extend_strategy=ksameasrequested");
        Assert.Equal("HEURISTIC", cuda["cudnn_conv_algo_search"]);
        Assert.Equal("0", cuda["use_tf32"]);
        Assert.Equal("2147483648", cuda["gpu_mem_limit"]);
        Assert.Equal("kSameAsRequested", cuda["arena_extend_strategy"]);

        var trt = Check("tensorrt", "trt_fp16_enable=true", "trt_int8_enable=1", "trt_builder_optimization_level=5", "cudnn_conv_algo_search=DEFAULT");
        Assert.Equal("1", trt["trt_fp16_enable"]);
        Assert.Equal("1", trt["trt_int8_enable"]);
        Assert.Equal("5", trt["trt_builder_optimization_level"]);
        Assert.Equal("DEFAULT", trt["cudnn_conv_algo_search"]); // the CUDA provider behind TensorRT takes its own keys
    }

    [Fact]
    public void A_cache_folder_becomes_a_full_path_and_switches_its_cache_on()
    {
        var trt = Check("tensorrt", "trt_engine_cache_path=some/engines", "trt_timing_cache_path=timing");
        Assert.Equal(Path.GetFullPath("some/engines"), trt["trt_engine_cache_path"]);
        Assert.Equal("1", trt["trt_engine_cache_enable"]);
        Assert.Equal(Path.GetFullPath("timing"), trt["trt_timing_cache_path"]);
        Assert.Equal("1", trt["trt_timing_cache_enable"]);
        Assert.False(Directory.Exists("some/engines")); // made only when a session is created on the provider
        Assert.Equal("--provider-option trt_engine_cache_path goes with trt_engine_cache_enable=1 (with the cache off ONNX Runtime ignores the folder)",
            Refusal("tensorrt", "trt_engine_cache_enable=0", "trt_engine_cache_path=x"));
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("a-file"), "");
        Assert.EndsWith("trt_timing_cache_path takes a folder, and this is a file", Refusal("tensorrt", $"trt_timing_cache_path={dir.File("a-file")}"));
    }

    [Theory]
    [InlineData("cuda", "cudnn_conv_algo_serch=HEURISTIC", "--provider-option: 'cudnn_conv_algo_serch' is not an option of ONNX Runtime's cuda or tensorrt provider; did you mean 'cudnn_conv_algo_search'?")]
    [InlineData("tensorrt", "trt_fp16_enabel=1", "--provider-option: 'trt_fp16_enabel' is not an option of ONNX Runtime's cuda or tensorrt provider; did you mean 'trt_fp16_enable'?")]
    [InlineData("auto", "frobnicate=1", "--provider-option: 'frobnicate' is not an option of ONNX Runtime's cuda or tensorrt provider (their keys are in ONNX Runtime's CUDA and TensorRT execution provider docs)")]
    [InlineData("cuda", "trt_fp16_enable=1", "--provider-option trt_fp16_enable is an option of the tensorrt provider; --provider cuda does not take it")]
    [InlineData("cuda", "device_id=1", "--provider-option device_id: give the device with --device N")]
    [InlineData("cuda", "user_compute_stream=140000", "--provider-option user_compute_stream takes a memory address, which only a program embedding ONNX Runtime can give")]
    [InlineData("cuda", "cudnn_conv_algo_search", "--provider-option 'cudnn_conv_algo_search': expected KEY=VALUE, e.g. cudnn_conv_algo_search=HEURISTIC")]
    [InlineData("cuda", "cudnn_conv_algo_search=FASTEST", "--provider-option cudnn_conv_algo_search=FASTEST: cudnn_conv_algo_search takes EXHAUSTIVE, HEURISTIC, DEFAULT")]
    [InlineData("tensorrt", "trt_fp16_enable=yes", "--provider-option trt_fp16_enable=yes: trt_fp16_enable takes 0 or 1")]
    [InlineData("tensorrt", "trt_builder_optimization_level=7", "--provider-option trt_builder_optimization_level=7: trt_builder_optimization_level takes a whole number from 0 to 5")]
    [InlineData("tensorrt", "trt_min_subgraph_size=0", "--provider-option trt_min_subgraph_size=0: trt_min_subgraph_size takes a whole number, 1 or more")]
    [InlineData("cuda", "gpu_mem_limit=-1", "--provider-option gpu_mem_limit=-1: gpu_mem_limit takes a size in bytes")]
    [InlineData("tensorrt", "trt_engine_cache_path=", "--provider-option trt_engine_cache_path=: trt_engine_cache_path takes a folder")]
    public void A_bad_key_or_value_is_one_line_saying_what_was_meant(string provider, string option, string expected) =>
        Assert.Equal(expected, Refusal(provider, option));

    [Fact]
    public void The_cpu_takes_no_gpu_options_and_a_key_is_given_once()
    {
        Assert.Equal("--provider-option sets the cuda and tensorrt providers; --provider cpu takes none (choose --provider cuda, tensorrt or auto)",
            Refusal("cpu", "cudnn_conv_algo_search=HEURISTIC"));
        Assert.StartsWith("--device sets the cuda and tensorrt providers",
            Assert.Throws<InvalidInputException>(() => ProviderOptionSet.Check(0, [], "cpu")).Message);
        Assert.Equal("--device must be 0 or more", Assert.Throws<InvalidInputException>(() => ProviderOptionSet.Check(-1, [], "cuda")).Message);
        Assert.Equal("--provider-option use_tf32 is given twice", Refusal("cuda", "use_tf32=1", "use_tf32=0"));
        Assert.Empty(Check("cpu"));
    }

    [Fact]
    public void What_auto_did_not_choose_takes_no_options()
    {
        var trt = Check("auto", "trt_fp16_enable=1");
        Assert.Equal("--provider auto chose cpu, which takes no --provider-option; ask for --provider cuda or tensorrt to use them",
            Assert.Throws<InvalidInputException>(() => ProviderOptionSet.CheckChosen(ExecutionProvider.Cpu, null, trt)).Message);
        Assert.Equal("--provider auto chose cuda, which does not take --provider-option trt_fp16_enable (an option of the tensorrt provider)",
            Assert.Throws<InvalidInputException>(() => ProviderOptionSet.CheckChosen(ExecutionProvider.Cuda, null, trt)).Message);
        ProviderOptionSet.CheckChosen(ExecutionProvider.TensorRt, 0, trt);
        ProviderOptionSet.CheckChosen(ExecutionProvider.Cuda, 1, Check("auto", "prefer_nhwc=1"));
        Assert.StartsWith("--provider auto chose cpu, which takes no --device",
            Assert.Throws<InvalidInputException>(() => ProviderOptionSet.CheckChosen(ExecutionProvider.Cpu, 1, Check("auto"))).Message);
    }

    [Fact]
    public void Every_command_refuses_a_bad_key_before_anything_loads_or_is_written()
    {
        using var dir = TestPaths.NewTempDir();
        var before = File.ReadAllBytes(TinyCnn);
        var bad = new[] { "--provider", "cuda", "--provider-option", "cudnn_conv_algo_serch=HEURISTIC" };
        string[][] commands =
        [
            ["bench", TinyCnn, "--runs", "1", "--report", dir.File("bench"), .. bad],
            ["validate", "--baseline", TinyCnn, "--candidate", TinyCnn, "--data", TinyCnnData, "--report", dir.File("validate"), .. bad],
            [TinyCnn, "-o", dir.File("root"), "--validate", TinyCnnData, .. bad],
        ];
        foreach (var args in commands)
        {
            var result = CliRunner.Run(args);
            Assert.Equal(2, result.ExitCode);
            Assert.Equal("error: --provider-option: 'cudnn_conv_algo_serch' is not an option of ONNX Runtime's cuda or tensorrt provider; did you mean 'cudnn_conv_algo_search'?", result.Stderr.Trim());
            Assert.Equal("", result.Stdout);
        }
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
        Assert.Equal(before, File.ReadAllBytes(TinyCnn));
    }

    [Fact]
    public void Good_options_are_accepted_and_then_the_cpu_flavour_says_to_build_the_gpu_one()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run("bench", TinyCnn, "--runs", "1", "--provider", "tensorrt", "--device", "0",
            "--provider-option", "trt_fp16_enable=1", "--provider-option", $"trt_engine_cache_path={dir.File("engines")}");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --provider tensorrt: this build of optimize is the cpu flavour", result.Stderr.Trim());
        Assert.False(Directory.Exists(dir.File("engines"))); // no session was made, so no cache folder either
        result = CliRunner.Run(TinyCnn, "-o", dir.File("out"), "--provider", "cpu", "--device", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --device sets the cuda and tensorrt providers; --provider cpu takes none (choose --provider cuda, tensorrt or auto)", result.Stderr.Trim());
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void Bench_of_an_engine_takes_no_onnx_runtime_provider_options()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllBytes(dir.File("model.plan"), [1, 2, 3]);
        var result = CliRunner.Run("bench", "--engine", dir.File("model.plan"), "--provider-option", "trt_fp16_enable=1");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("error: --provider-option sets ONNX Runtime's cuda and tensorrt providers; bench --engine times the engine with trtexec", result.Stderr.Trim());
    }

    [Fact]
    public void Bench_and_validate_reports_say_every_option_in_effect()
    {
        using var dir = TestPaths.NewTempDir();
        var bench = CliRunner.Run("bench", TinyCnn, "--runs", "2", "--warmup", "0", "--threads", "1", "--graph-optimization", "basic", "--report", dir.File("bench"));
        Assert.True(bench.ExitCode == 0, bench.Stderr);
        using (var json = JsonDocument.Parse(File.ReadAllText(dir.File("bench/report.json"))))
        {
            var options = json.RootElement.GetProperty("sessionOptions");
            Assert.Equal("cpu", options.GetProperty("provider").GetString());
            Assert.Equal("1", options.GetProperty("session").GetProperty("intra_op_num_threads").GetString());
            Assert.Equal("ORT_ENABLE_BASIC", options.GetProperty("session").GetProperty("graph_optimization_level").GetString());
            Assert.Empty(options.GetProperty("providerOptions").EnumerateObject());
        }
        Assert.Contains("- options in effect, session: intra_op_num_threads=1, inter_op_num_threads=1, graph_optimization_level=ORT_ENABLE_BASIC, session.intra_op.allow_spinning=1",
            File.ReadAllText(dir.File("bench/report.md")));

        var validate = CliRunner.Run("validate", "--baseline", TinyCnn, "--candidate", TinyCnn, "--data", TinyCnnData, "--report", dir.File("validate"));
        Assert.True(validate.ExitCode == 0, validate.Stderr);
        using (var json = JsonDocument.Parse(File.ReadAllText(dir.File("validate/report.json"))))
        {
            Assert.Equal("ORT_DISABLE_ALL", json.RootElement.GetProperty("sessionOptions").GetProperty("session").GetProperty("graph_optimization_level").GetString());
            Assert.Equal("ORT_ENABLE_ALL", json.RootElement.GetProperty("latencySessionOptions").GetProperty("session").GetProperty("graph_optimization_level").GetString());
        }
        var markdown = File.ReadAllText(dir.File("validate/report.md"));
        Assert.Contains("- options in effect (accuracy runs), session: intra_op_num_threads=0", markdown);
        Assert.Contains("- options in effect (latency runs), session:", markdown);

        // A stored report with the options in it is read back by --against.
        var against = CliRunner.Run("validate", "--against", dir.File("validate/report.json"), "--candidate", TinyCnn, "--data", TinyCnnData, "--report", dir.File("against"));
        Assert.True(against.ExitCode == 0, against.Stderr);
    }

    [Fact]
    public void The_manifest_says_the_options_of_the_runs_the_root_command_makes()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TinyCnn, "-o", dir.File("out"), "--validate", TinyCnnData);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var manifest = JsonDocument.Parse(File.ReadAllText(dir.File("out/manifest.json")));
        var options = manifest.RootElement.GetProperty("sessionOptions");
        Assert.Equal("cpu", options.GetProperty("accuracy").GetProperty("provider").GetString());
        Assert.Equal("ORT_DISABLE_ALL", options.GetProperty("accuracy").GetProperty("session").GetProperty("graph_optimization_level").GetString());
        Assert.Equal("ORT_ENABLE_ALL", options.GetProperty("latency").GetProperty("session").GetProperty("graph_optimization_level").GetString());
        Assert.Equal("1", options.GetProperty("latency").GetProperty("session").GetProperty("session.intra_op.allow_spinning").GetString());
        Assert.Equal("0", options.GetProperty("calibration").GetProperty("session").GetProperty("session.intra_op.allow_spinning").GetString());
    }
}
