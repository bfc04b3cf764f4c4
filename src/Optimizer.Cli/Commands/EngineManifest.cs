using System.Text.Json.Nodes;
using Optimizer.Cli.Output;
using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Logs;

namespace Optimizer.Cli.Commands;

/// <summary>
/// The "engine" section of OUT/manifest.json: the engine's and the ONNX model's sha256, the TensorRT version and build,
/// the GPU, the exact flags (with this run's paths replaced by their role), the cache key, the layer precisions and
/// trtexec's figures; plus the engine and its log under "files".
/// </summary>
public static class EngineManifest
{
    public static void Write(string outDir, EngineBuildResult result, EngineRunOptions options, string? gate)
    {
        var manifest = Manifest.LoadOrCreate(outDir);
        manifest.AddFile("engine", result.EnginePath);
        manifest.AddFile("trtexecLog", result.LogPath);
        foreach (var (role, name) in new[] { ("engineLayers", EngineBuilder.LayerFile), ("engineTimes", EngineBuilder.TimesFile) })
            if (File.Exists(Path.Combine(outDir, name))) manifest.AddFile(role, Path.Combine(outDir, name));
        manifest.SetSection("engine", Section(result, options, gate));
        // With a cache, the engine's key joins those of the other steps (see Caching.StepCache).
        if (options.EngineCache is not null && result.CacheKey is { } key && manifest.GetSection("cache") is JsonObject keys) keys["engine"] = key;
        manifest.Save();
    }

    /// <summary>After a failed build: the manifest must not keep describing an engine from an earlier run.</summary>
    public static void Forget(string outDir)
    {
        if (!File.Exists(Path.Combine(outDir, Manifest.FileName))) return;
        var manifest = Manifest.LoadOrCreate(outDir);
        if (manifest.GetSection("files") is JsonObject files)
            foreach (var role in new[] { "engine", "trtexecLog", "engineLayers", "engineTimes" }) files.Remove(role);
        manifest.SetSection("engine", null);
        (manifest.GetSection("cache") as JsonObject)?.Remove("engine");
        manifest.Save();
    }

    public static JsonObject Section(EngineBuildResult r, EngineRunOptions options, string? gate) => new()
    {
        ["tensorrt"] = new JsonObject { ["version"] = r.Version.ToString(), ["build"] = r.Version.Build, ["trtexec"] = r.Trtexec },
        ["gpu"] = r.Gpu is { } g ? new JsonObject { ["name"] = g.Name, ["computeCapability"] = g.ComputeCapability, ["uuid"] = g.Uuid } : null,
        ["onnx"] = new JsonObject { ["path"] = Path.GetFullPath(options.OnnxPath), ["sha256"] = r.OnnxSha256 },
        ["engine"] = new JsonObject { ["path"] = r.EnginePath, ["sha256"] = r.EngineSha256, ["bytes"] = new FileInfo(r.EnginePath).Length },
        ["flags"] = new JsonArray(r.FlagIdentity.Select(f => (JsonNode?)f).ToArray()),
        ["cacheKey"] = r.CacheKey,
        ["fromCache"] = r.FromCache,
        ["buildSeconds"] = r.Log.BuildSeconds,
        ["layers"] = r.Layers is { } l ? new JsonObject
        {
            ["int8"] = l.Int8, ["fp16"] = l.Fp16, ["fp32"] = l.Fp32, ["other"] = l.Other,
            ["fellBack"] = new JsonArray(l.FellBack.Select(n => (JsonNode?)n).ToArray()),
        } : null,
        ["performance"] = r.Log.Summary is { } s ? Performance(s) : null,
        ["requireInt8"] = options.RequireInt8 ? gate ?? "passed" : null,
        ["warnings"] = new JsonArray(r.Warnings.Concat(r.Log.Warnings).Select(w => (JsonNode?)w).ToArray()),
    };

    private static JsonObject Performance(PerformanceSummary s) => new()
    {
        ["throughputQps"] = s.ThroughputQps,
        ["queries"] = s.Queries,
        ["latencyMs"] = Stats(s.Latency),
        ["gpuComputeMs"] = Stats(s.GpuCompute),
        ["h2dMs"] = s.H2D is { } h ? Stats(h) : null,
        ["d2hMs"] = s.D2H is { } d ? Stats(d) : null,
    };

    private static JsonObject Stats(LatencyStats s)
    {
        var o = new JsonObject { ["min"] = s.Min, ["mean"] = s.Mean, ["median"] = s.Median, ["max"] = s.Max };
        foreach (var (p, v) in s.Percentiles) o[$"p{p:0.##}"] = v;
        return o;
    }
}
