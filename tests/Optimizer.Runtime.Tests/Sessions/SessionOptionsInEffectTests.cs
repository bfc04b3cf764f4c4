using Microsoft.ML.OnnxRuntime;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Sessions;

/// <summary>
/// What reports say a session ran with: the provider and every option in effect, ONNX Runtime's defaults included,
/// the options given replacing them; and the TensorRT provider's cache folders, made when a session is created.
/// </summary>
public sealed class SessionOptionsInEffectTests
{
    [Fact]
    public void The_cpu_says_its_threads_level_and_spinning_and_no_provider_options()
    {
        var cpu = SessionOptionsInEffect.Of(SessionSettings.ForComparison with { Threads = 2, Spinning = false });
        Assert.Equal("cpu", cpu.Provider);
        Assert.Equal("2", cpu.Session["intra_op_num_threads"]);
        Assert.Equal("1", cpu.Session["inter_op_num_threads"]);
        Assert.Equal("ORT_DISABLE_ALL", cpu.Session["graph_optimization_level"]);
        Assert.Equal("0", cpu.Session["session.intra_op.allow_spinning"]);
        Assert.Empty(cpu.ProviderOptions);
        Assert.Equal("0", SessionOptionsInEffect.Of(SessionSettings.ForSpeed).Session["intra_op_num_threads"]); // ONNX Runtime's choice
    }

    [Fact]
    public void Cuda_shows_onnx_runtimes_defaults_with_the_options_given_in_their_place()
    {
        var defaults = SessionOptionsInEffect.Of(SessionSettings.ForSpeed with { Provider = ExecutionProvider.Cuda });
        var cuda = Assert.Single(defaults.ProviderOptions);
        Assert.Equal("cuda", cuda.Key);
        Assert.Equal("0", cuda.Value["device_id"]);
        Assert.Equal("EXHAUSTIVE", cuda.Value["cudnn_conv_algo_search"]);
        Assert.Equal("1", cuda.Value["use_tf32"]);
        Assert.Equal("device_id", cuda.Value.Keys.First());

        var given = SessionOptionsInEffect.Of(SessionSettings.ForSpeed with
        {
            Provider = ExecutionProvider.Cuda,
            DeviceId = 1,
            ProviderOptions = new Dictionary<string, string> { ["cudnn_conv_algo_search"] = "HEURISTIC", ["sdpa_kernel"] = "2" },
        }).ProviderOptions["cuda"];
        Assert.Equal("1", given["device_id"]);
        Assert.Equal("HEURISTIC", given["cudnn_conv_algo_search"]);
        Assert.Equal("2", given["sdpa_kernel"]); // no default shown for it, so only when given
        Assert.DoesNotContain("sdpa_kernel", cuda.Value.Keys);
    }

    [Fact]
    public void Tensorrt_shows_its_own_options_and_those_of_the_cuda_provider_behind_it()
    {
        var settings = SessionSettings.ForSpeed with
        {
            Provider = ExecutionProvider.TensorRt,
            ProviderOptions = new Dictionary<string, string> { ["trt_fp16_enable"] = "1", ["cudnn_conv_algo_search"] = "DEFAULT" },
        };
        var inEffect = SessionOptionsInEffect.Of(settings);
        Assert.Equal(["tensorrt", "cuda"], inEffect.ProviderOptions.Keys);
        var trt = inEffect.ProviderOptions["tensorrt"];
        Assert.Equal("1", trt["trt_fp16_enable"]);
        Assert.Equal("0", trt["trt_int8_enable"]);
        Assert.Equal("0", trt["trt_engine_cache_enable"]);
        Assert.Equal("3", trt["trt_builder_optimization_level"]);
        Assert.DoesNotContain("cudnn_conv_algo_search", trt.Keys);
        Assert.Equal("DEFAULT", inEffect.ProviderOptions["cuda"]["cudnn_conv_algo_search"]);
        Assert.Contains(inEffect.Lines(), l => l.StartsWith("tensorrt provider: device_id=0, trt_fp16_enable=1", StringComparison.Ordinal));
    }

    [Fact]
    public void The_tensorrt_cache_folders_are_made_parents_too_and_only_for_tensorrt()
    {
        using var dir = TestPaths.NewTempDir();
        var options = new Dictionary<string, string> { ["trt_engine_cache_path"] = dir.File("a/engines"), ["trt_timing_cache_path"] = dir.File("b/timing") };
        SessionFactory.MakeCacheFolders(SessionSettings.ForSpeed with { Provider = ExecutionProvider.Cuda, ProviderOptions = options });
        Assert.False(Directory.Exists(dir.File("a")));
        SessionFactory.MakeCacheFolders(SessionSettings.ForSpeed with { Provider = ExecutionProvider.TensorRt, ProviderOptions = options });
        Assert.True(Directory.Exists(dir.File("a/engines")) && Directory.Exists(dir.File("b/timing")));

        File.WriteAllText(dir.File("file"), "x");
        var underAFile = new Dictionary<string, string> { ["trt_engine_cache_path"] = dir.File("file/engines") };
        var e = Assert.Throws<InvalidInputException>(() => SessionFactory.MakeCacheFolders(SessionSettings.ForSpeed with { Provider = ExecutionProvider.TensorRt, ProviderOptions = underAFile }));
        Assert.StartsWith("--provider-option trt_engine_cache_path: cannot make the folder", e.Message);
    }

    [Fact]
    public void Every_catalog_key_is_one_of_the_two_providers_once()
    {
        var names = ProviderOptionCatalog.Cuda.Concat(ProviderOptionCatalog.TensorRt).Select(k => k.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(ProviderOptionCatalog.TensorRt, k => Assert.StartsWith("trt_", k.Name));
        Assert.All(ProviderOptionCatalog.Cuda.Concat(ProviderOptionCatalog.TensorRt).Where(k => k.Kind == ProviderOptionKind.Choice),
            k => Assert.Contains(k.Default, k.Choices!));
        Assert.Equal(GraphOptimizationLevel.ORT_ENABLE_ALL.ToString(), SessionOptionsInEffect.Of(SessionSettings.ForSpeed).Session["graph_optimization_level"]);
    }
}
