using System.Text.Json;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Fake;

/// <summary>The double builds, exports and runs engines the way trtexec does.</summary>
public sealed class FakeBuildTests
{
    [Theory]
    [InlineData("8.6.1.6")]
    [InlineData("10.9.0.34")]
    public async Task A_qdq_model_in_a_weakly_typed_build_needs_int8(string version)
    {
        using var fake = new FakeRun();
        var (run, log) = await fake.RunAsync(version, $"--onnx={fake.Model("qdq")}", "--skipInference");
        Assert.True(log.Failed);
        Assert.Contains(log.Errors, e => e.Contains("Int8 precision has been set for a layer or layer output, but int8 is not configured in the builder"));
        Assert.Contains("Building engine failed", log.Errors);
    }

    [Fact]
    public async Task Strongly_typed_builds_disable_precision_flags_with_a_warning()
    {
        using var fake = new FakeRun();
        var (_, log) = await fake.RunAsync("10.9.0.34", $"--onnx={fake.Model("qdq")}", "--stronglyTyped", "--fp16", "--skipInference");
        Assert.True(log.Passed);
        Assert.Contains("Invalid usage, setting fp16 mode is not allowed if graph is strongly typed. Disabling BuilderFlag::kFP16.", log.Warnings);
    }

    [Fact]
    public async Task Layer_information_is_names_only_unless_detailed()
    {
        using var fake = new FakeRun();
        var layers = fake.File("layers.json");
        var (_, log) = await fake.RunAsync("10.9.0.34", $"--onnx={fake.Model("fp32")}", $"--exportLayerInfo={layers}", "--skipInference");
        Assert.True(log.Passed);
        var root = JsonDocument.Parse(File.ReadAllText(layers)).RootElement;
        Assert.All(root.GetProperty("Layers").EnumerateArray(), l => Assert.Equal(JsonValueKind.String, l.ValueKind));
        Assert.Equal(["x", root.GetProperty("Bindings")[1].GetString()], root.GetProperty("Bindings").EnumerateArray().Select(b => b.GetString()));
    }

    [Fact]
    public async Task An_engine_from_another_release_does_not_load()
    {
        using var fake = new FakeRun();
        var plan = fake.File("model.plan");
        var (_, built) = await fake.RunAsync("10.9.0.34", $"--onnx={fake.Model("fp32")}", $"--saveEngine={plan}", "--skipInference");
        Assert.True(built.Passed);
        var (versionRun, versionLog) = await fake.RunAsync("10.13.0.35", $"--loadEngine={plan}", "--getPlanVersionOnly");
        Assert.True(versionLog.Passed);
        Assert.Contains(versionRun.Lines, l => l.Text == "Plan was created with TensorRT version 10.9.0.34");
        var (run, loaded) = await fake.RunAsync("10.13.0.35", $"--loadEngine={plan}");
        Assert.True(loaded.Failed);
        Assert.Contains(loaded.Errors, e => e.Contains("The engine plan file is not compatible with this version of TensorRT, expecting library version 10.13.0.35 got 10.9.0.34, please rebuild."));
    }

    [Theory]
    [InlineData("10.9.0.34", new string[0], true)]
    [InlineData("10.9.0.34", new[] { "--noDataTransfers" }, false)]
    [InlineData("11.1.0.6", new string[0], false)]
    [InlineData("11.1.0.6", new[] { "--includeDataTransfers" }, true)]
    public async Task Data_transfers_are_measured_as_the_release_defaults_say(string version, string[] extra, bool transfers)
    {
        using var fake = new FakeRun();
        var (_, log) = await fake.RunAsync(version, [$"--onnx={fake.Model("fp32")}", "--duration=0.02", "--warmUp=5", .. extra]);
        Assert.Equal(transfers, log.Summary!.H2D!.Mean > 0);
        Assert.Equal(transfers, log.Summary.D2H!.Mean > 0);
    }

    [Fact]
    public async Task With_fewer_than_100_queries_p99_is_the_maximum()
    {
        using var fake = new FakeRun();
        var (_, log) = await fake.RunAsync("10.9.0.34", $"--onnx={fake.Model("fp32")}", "--duration=0", "--warmUp=0", "--iterations=50");
        Assert.Equal(50, log.Summary!.Queries);
        Assert.Equal(log.Summary.Latency.Max, log.Summary.Latency.Percentile(99));
    }
}
