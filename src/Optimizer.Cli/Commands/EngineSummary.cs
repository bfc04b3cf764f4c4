using System.Globalization;
using Optimizer.Cli.Output;
using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Logs;

namespace Optimizer.Cli.Commands;

/// <summary>The human-readable result of an engine build on stdout; latency in the benchmark report's format.</summary>
public static class EngineSummary
{
    public static void Print(EngineBuildResult r, ModelFacts facts, TextWriter output)
    {
        var bytes = new FileInfo(r.EnginePath).Length;
        output.WriteLine($"engine     {r.EnginePath}  {SummaryText.Bytes(bytes)}  sha256 {r.EngineSha256[..16]}{(r.FromCache ? "  (from the engine cache)" : "")}");
        output.WriteLine($"tensorrt   {r.Version.WithBuild} on {(r.Gpu is { } g ? $"{g.Name} (compute capability {g.ComputeCapability})" : "an unreported GPU")}");
        output.WriteLine($"flags      {string.Join(' ', r.FlagIdentity)}");
        if (r.Log.BuildSeconds is { } seconds) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"build      {seconds:0.###} s"));
        if (r.Layers is { } l)
        {
            output.WriteLine($"layers     {l.Int8} INT8, {l.Fp16} FP16, {l.Fp32} FP32, {l.Other} other");
            if (facts.IsQdq && l.FellBack.Count > 0) output.WriteLine($"fell back  {string.Join(", ", l.FellBack)} (quantized in the model, not INT8 in the engine)");
        }
        if (r.Log.Summary is { } summary)
        {
            var latencies = File.Exists(Path.Combine(Path.GetDirectoryName(r.EnginePath)!, EngineBuilder.TimesFile))
                ? TimesFile.ReadLatencies(Path.Combine(Path.GetDirectoryName(r.EnginePath)!, EngineBuilder.TimesFile)) : [];
            BenchSummary.Print(EngineBenchAdapter.ToReport(r.EnginePath, r.Log with { Version = r.Version, Gpu = r.Gpu }, summary, latencies), output);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gpu compute  mean {summary.GpuCompute.Mean:0.000} ms, p99 {summary.GpuCompute.Percentile(99):0.000} ms; H2D {summary.H2D?.Mean:0.000} ms, D2H {summary.D2H?.Mean:0.000} ms"));
        }
        output.WriteLine($"log        {r.LogPath}");
    }
}
