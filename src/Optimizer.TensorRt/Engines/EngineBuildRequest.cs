using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Logs;

namespace Optimizer.TensorRt.Engines;

/// <summary>
/// One engine build: the trtexec to use, the ONNX file and its facts, the output folder, and the caches.
/// <see cref="EngineCacheDir"/> enables reusing engines; <see cref="CacheRoot"/> holds the timing caches (and defaults to
/// the engine cache folder, else the user's cache folder).
/// </summary>
public sealed record EngineBuildRequest(string Trtexec, string OnnxPath, ModelFacts Model, string OutDir, BuildSettings Settings)
{
    public string? EngineCacheDir { get; init; }
    /// <summary>The model's name as the user knows it, for the engine cache's listing (default: OnnxPath's file name).</summary>
    public string? SourceName { get; init; }
    public string? CacheRoot { get; init; }
    public string? CalibrationCache { get; init; }
    public TimeSpan? Timeout { get; init; }
    public Action<BuildPhase>? OnPhase { get; init; }
}
