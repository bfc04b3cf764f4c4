using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Benchmark.Profiling;
using Optimizer.TensorRt.Benchmarking;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Locating;
using Optimizer.TensorRt.Logs;

namespace Optimizer.Cli.Commands;

/// <summary>
/// <c>bench --engine model.plan --profile</c>: one trtexec run with <c>--separateProfileRun</c> (trtexec times the
/// engine, then profiles its layers in a run of their own) and <c>--exportProfile</c> into a temporary file, read and
/// deleted. trtexec's profile names layers (fused ONNX nodes), not op types: the layer table is filled, the op-type
/// table stays empty.
/// </summary>
public static class EngineProfileRun
{
    public const string Source = "trtexec --exportProfile";

    public static async Task<BenchReport> RunAsync(string? trtexec, string enginePath, string? shapes, double? durationSeconds, CancellationToken cancel)
    {
        var file = Path.Combine(Path.GetTempPath(), $"optimizer-profile-{Guid.NewGuid():N}.json");
        try
        {
            var settings = new BuildSettings
            {
                Shapes = new ShapeRequest(shapes),
                DurationSeconds = durationSeconds,
                ExtraArgs = ["--separateProfileRun", $"--exportProfile={file}"],
            };
            var result = await EngineBenchmark.RunAsync(TrtexecLocator.Locate(trtexec), enginePath, settings, null, null, cancel);
            var report = EngineBenchAdapter.ToReport(enginePath, result.Log, result.Summary, result.LatenciesMs);
            if (!File.Exists(file)) throw new ExternalToolException($"trtexec wrote no per-layer profile (--exportProfile) for {enginePath}");
            return report with { Profile = ToProfile(enginePath, LayerProfileFile.Read(file), File.ReadAllText(file)) };
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>trtexec's layers as the profile's node rows: share from the layer times themselves (trtexec's own percentage, recomputed).</summary>
    public static ModelProfile ToProfile(string enginePath, LayerProfileFile file, string text)
    {
        var queries = Math.Max(file.Count, 1);
        var total = file.Layers.Sum(l => l.TimeMs);
        var layers = file.Layers
            .Select(l => new ProfileEntry(l.Name, "", "tensorrt", l.TimeMs, total > 0 ? l.TimeMs / total : 0, file.Count, l.AverageMs, l.TimeMs / queries))
            .OrderByDescending(l => l.TotalMs).ThenBy(l => l.Name, StringComparer.Ordinal).ToList();
        return new ModelProfile
        {
            Model = Path.GetFullPath(enginePath),
            BatchSize = 1,
            Warmup = 0,
            Table = new ProfileTable { Source = Source, Runs = file.Count, KernelTimeMs = total, OpTypes = [], Nodes = layers },
            TraceFileName = $"profile_{Path.GetFileNameWithoutExtension(enginePath)}.json",
            Trace = text,
        };
    }
}
