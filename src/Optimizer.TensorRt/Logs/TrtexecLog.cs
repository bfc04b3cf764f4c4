using Optimizer.TensorRt.Versions;

namespace Optimizer.TensorRt.Logs;

/// <summary>The GPU a run used, from "=== Device Information ===".</summary>
public sealed record GpuInfo(string Name, string? ComputeCapability, string? Uuid);

/// <summary>Everything read from one trtexec run's output.</summary>
public sealed record TrtexecLog(
    TensorRtVersion? Version, GpuInfo? Gpu, double? ParseSeconds, double? BuildSeconds, double? EngineSizeMiB, double? DeserializeSeconds,
    PerformanceSummary? Summary, IReadOnlyList<string> Warnings, IReadOnlyList<string> Errors, bool Passed, bool Failed,
    bool SkippedInference, bool DeviceMissing);
