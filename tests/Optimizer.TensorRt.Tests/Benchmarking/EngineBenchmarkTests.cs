using Optimizer.Onnx.Errors;
using Optimizer.TensorRt.Benchmarking;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Benchmarking;

/// <summary>Running a built engine: trtexec's figures, and its refusal of an engine from another release.</summary>
public sealed class EngineBenchmarkTests
{
    [Theory]
    [InlineData("8.6.1.6")]
    [InlineData("11.1.0.6")]
    public async Task Measures_a_built_engine(string version)
    {
        using var h = new BuildHarness(version);
        var built = await h.BuildAsync(BuildHarness.QuickSettings with { SkipInference = true });
        var settings = new BuildSettings { Shapes = new ShapeRequest("x:2x3x8x8"), DurationSeconds = 0.05, WarmUpMs = 10 };
        var result = await EngineBenchmark.RunAsync(h.Trtexec, built.EnginePath, settings, Path.Combine(h.Root, "bench.log"), null, CancellationToken.None);

        Assert.Contains("--shapes=x:2x3x8x8", result.Flags);
        Assert.Equal(result.Summary.Queries, result.LatenciesMs.Count);
        Assert.Equal(result.LatenciesMs.Min(), result.Summary.Latency.Min, 1e-4 * result.Summary.Latency.Min);
        Assert.Equal(result.LatenciesMs.Max(), result.Summary.Latency.Max, 1e-4 * result.Summary.Latency.Max);
        Assert.True(File.Exists(Path.Combine(h.Root, "bench.log")));
    }

    [Fact]
    public async Task An_engine_from_another_release_is_an_external_tool_error()
    {
        using var h = new BuildHarness("10.9.0.34");
        var built = await h.BuildAsync(BuildHarness.QuickSettings with { SkipInference = true });
        var newer = FakeTrtexec.Wrapper(Path.Combine(h.Root, "bin11"), "11.1.0.6");
        var error = await Assert.ThrowsAsync<ExternalToolException>(() =>
            EngineBenchmark.RunAsync(newer, built.EnginePath, new BuildSettings(), null, null, CancellationToken.None));
        Assert.Contains("please rebuild", error.Message);
    }
}
