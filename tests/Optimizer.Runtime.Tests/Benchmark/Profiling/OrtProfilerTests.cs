using Microsoft.ML.OnnxRuntime;
using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Benchmark.Profiling;
using Optimizer.Runtime.Sessions;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Benchmark.Profiling;

public sealed class OrtProfilerTests
{
    private static readonly string TinyCnn = Path.Combine(TestPaths.RepoRoot, "models", "tiny_cnn.onnx");

    [Fact]
    public void ProfilesOnlyTheRunsAfterTheWarmupAndLeavesNoFileBehind()
    {
        var before = Directory.GetDirectories(Path.GetTempPath(), "optimize-profile-*").Length;
        var cwdFiles = Directory.GetFiles(Environment.CurrentDirectory, "*.json").Length;
        var profile = OrtProfiler.Run(new BenchOptions
        {
            ModelPath = TinyCnn,
            Warmup = 3,
            Session = SessionSettings.ForSpeed with { OptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL },
        }, runs: 5);
        Assert.Equal(5, profile.Table.Runs);
        Assert.Equal(4, profile.Warmup); // the binding's first run and 3 warm-up runs
        // Every node ran once per profiled run.
        Assert.All(profile.Table.Nodes, n => Assert.Equal(5, n.Calls));
        Assert.Equal(1.0, profile.Table.OpTypes.Sum(o => o.Share), 9);
        Assert.InRange(profile.Table.KernelCoverage!.Value, 0.01, 1.0);
        Assert.Equal(before, Directory.GetDirectories(Path.GetTempPath(), "optimize-profile-*").Length);
        Assert.Equal(cwdFiles, Directory.GetFiles(Environment.CurrentDirectory, "*.json").Length);
    }
}
