namespace Optimizer.Runtime.Benchmark.Profiling;

/// <summary>
/// Where a run's time goes, per node and per op type (or per layer and layer kind, for an engine): time over all
/// profiled runs, share of the summed kernel time, calls, mean per call.
/// </summary>
public sealed record ProfileTable
{
    /// <summary>What profiled it: "onnxruntime profiler" or "trtexec --exportProfile".</summary>
    public required string Source { get; init; }
    /// <summary>The runs profiled (after the warm-up, which is not counted).</summary>
    public required int Runs { get; init; }
    /// <summary>Summed wall time of the profiled runs, in ms (null where the profiler does not give it).</summary>
    public double? RunTimeMs { get; init; }
    /// <summary>Summed kernel time over the profiled runs, in ms: the denominator of every share.</summary>
    public required double KernelTimeMs { get; init; }
    /// <summary>Time per op type, slowest first.</summary>
    public required IReadOnlyList<ProfileEntry> OpTypes { get; init; }
    /// <summary>Time per node, slowest first.</summary>
    public required IReadOnlyList<ProfileEntry> Nodes { get; init; }

    /// <summary>Kernel time as a share of the runs' wall time (the rest is ONNX Runtime's own work between kernels).</summary>
    public double? KernelCoverage => RunTimeMs is > 0 ? KernelTimeMs / RunTimeMs : null;
}

/// <summary>One row: a node (with its op type) or an op type (OpType = Name). Times in ms; Share in 0..1 of the kernel time.</summary>
public sealed record ProfileEntry(string Name, string OpType, string? Provider, double TotalMs, double Share, int Calls, double MeanMs, double MsPerRun);
