using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Engines;

/// <summary>The builder's options are accepted by every release, and shapes reach trtexec as the user meant them.</summary>
public sealed class BuildOptionsTests
{
    public static TheoryData<string> Versions() => new(FakeTrtexec.Versions);

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Workspace_optimization_level_and_profile_are_accepted(string version)
    {
        using var h = new BuildHarness(version);
        var settings = BuildHarness.QuickSettings with
        {
            WorkspaceMiB = 1024, OptimizationLevel = 5,
            Shapes = new ShapeRequest(Min: "x:1x3x8x8", Opt: "x:4x3x8x8", Max: "x:8x3x8x8"),
        };
        var result = await h.BuildAsync(settings);
        Assert.Contains("--memPoolSize=workspace:1024", result.Flags);
        Assert.Contains("--builderOptimizationLevel=5", result.Flags);
        Assert.Contains("--optShapes=x:4x3x8x8", result.Flags);
        Assert.DoesNotContain(result.Log.Warnings, w => w.StartsWith("Dynamic dimensions required"));
    }

    [Fact]
    public async Task An_input_named_with_a_colon_reaches_trtexec_quoted()
    {
        using var dir = TestPaths.NewTempDir();
        var b = new GraphBuilder();
        var x = b.Input("input:0", ElementType.Float, "n", 4);
        b.Output(b.Op("Relu", [x]));
        var path = dir.File("colon.onnx");
        ModelWriter.Write(b.Build(), path);
        var facts = ModelFactsReader.FromModel(ModelReader.Read(path));
        var request = new EngineBuildRequest(FakeTrtexec.Wrapper(dir.File("bin"), "10.9.0.34"), path, facts, dir.File("out"),
            BuildHarness.QuickSettings with { Shapes = new ShapeRequest("input:0:2x4") }) { CacheRoot = dir.File("cache") };

        var result = await EngineBuilder.BuildAsync(request, CancellationToken.None);
        Assert.Contains("--optShapes='input:0':2x4", result.Flags);
        Assert.True(result.Log.Passed);
    }

    [Fact]
    public async Task A_profiling_run_without_a_separate_profile_run_has_no_summary_and_still_succeeds()
    {
        using var h = new BuildHarness("10.9.0.34");
        var result = await h.BuildAsync(BuildHarness.QuickSettings with { ExtraArgs = ["--dumpProfile"] });
        Assert.True(result.Log.Passed);
        Assert.Null(result.Log.Summary);

        var separate = await EngineBuilder.BuildAsync(h.Request(BuildHarness.QuickSettings with { ExtraArgs = ["--dumpProfile", "--separateProfileRun"] },
            Path.Combine(h.Root, "o2")), CancellationToken.None);
        Assert.NotNull(separate.Log.Summary);
    }

    [Fact]
    public async Task Skip_inference_builds_without_measuring()
    {
        using var h = new BuildHarness("10.9.0.34");
        var result = await h.BuildAsync(BuildHarness.QuickSettings with { SkipInference = true });
        Assert.True(result.Log.SkippedInference);
        Assert.Null(result.Log.Summary);
        Assert.DoesNotContain(result.Flags, f => f.StartsWith("--exportTimes"));
        Assert.True(File.Exists(result.EnginePath));
    }
}
