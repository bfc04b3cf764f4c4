using Optimizer.TensorRt.Logs;
using Optimizer.TensorRt.Versions;

namespace Optimizer.TensorRt.Engines;

/// <summary>
/// The facts of a finished build, for the report and the manifest: where the engine and the log are, their hashes, the
/// TensorRT version and GPU, the exact flags, the cache key and whether the engine came from the cache, what the log
/// said, and the precision of the layers.
/// </summary>
public sealed record EngineBuildResult(
    string EnginePath, string LogPath, string OnnxSha256, string EngineSha256, TensorRtVersion Version, GpuInfo? Gpu,
    IReadOnlyList<string> Flags, IReadOnlyList<string> FlagIdentity, string? CacheKey, bool FromCache, TrtexecLog Log,
    LayerPrecisionReport? Layers, IReadOnlyList<string> Warnings, string Trtexec);
