using System.Text.Json.Serialization;

namespace Optimizer.Runtime.Benchmark;

/// <summary>
/// What a benchmark measured, whatever ran it: ONNX Runtime here, trtexec for TensorRT engines (fill it from
/// trtexec's figures and pass it to <see cref="Reports.BenchReportWriter"/> for the same report format).
/// </summary>
public sealed record BenchReport
{
    /// <summary>The model or engine file measured.</summary>
    public required string Model { get; init; }
    /// <summary>What ran it, with its version: "onnxruntime 1.31.1", "trtexec 10.x".</summary>
    public required string Runtime { get; init; }
    /// <summary>Execution provider or device: "cpu", "cuda", "tensorrt".</summary>
    public required string Provider { get; init; }
    /// <summary>Intra-op threads (0: the runtime's default).</summary>
    public int Threads { get; init; }
    /// <summary>Under ONNX Runtime: the provider and every session and provider option in effect, defaults included.</summary>
    public Sessions.SessionOptionsInEffect? SessionOptions { get; init; }
    /// <summary>Where the inputs came from.</summary>
    public required string Data { get; init; }
    public int Warmup { get; init; }
    public required IReadOnlyList<BatchResult> Batches { get; init; }
    /// <summary>The timing loop against a bare ONNX Runtime Run loop, when measured (<c>--measure-overhead</c>).</summary>
    public TimingOverhead? Overhead { get; init; }
    /// <summary>The run was interrupted: <see cref="Batches"/> holds the batch sizes that finished before it was.</summary>
    public bool Interrupted { get; init; }
    /// <summary>
    /// When the interruption came after the timed runs, during a step that follows them ("profile", "concurrency"): the
    /// timed figures are whole, the step's are missing. Null when it came during the timed runs.
    /// </summary>
    public string? InterruptedDuring { get; init; }
    /// <summary>With <c>--batch auto --max-p95</c>: the search's budget and choice (the batches are its curve).</summary>
    public BatchSearchResult? Search { get; init; }
    /// <summary>With <c>--concurrency</c>: each level's figures (at the first batch size), and where throughput stopped growing.</summary>
    public IReadOnlyList<ConcurrencyResult>? Concurrency { get; init; }
    public string? ConcurrencyNote { get; init; }
    /// <summary>With <c>--profile</c>: where the time goes, from a separate profiled run.</summary>
    public Profiling.ModelProfile? Profile { get; init; }
    public string Machine { get; init; } = $"{Environment.ProcessorCount} logical cores, {Environment.OSVersion}";
    public DateTimeOffset Date { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>Figures for one batch size.</summary>
public sealed record BatchResult
{
    public required int BatchSize { get; init; }
    public required ColdStart ColdStart { get; init; }
    public required int Runs { get; init; }
    public required LatencyStats LatencyMs { get; init; }
    /// <summary>Samples per second over the timed runs (batch size x runs / total time).</summary>
    public required double ThroughputPerSecond { get; init; }
    /// <summary>Peak resident memory of the process while this batch size was measured, in bytes (null when unknown: trtexec does not say).</summary>
    public long? PeakMemoryBytes { get; init; }
    /// <summary>When the data folder had fewer samples than the batch size: how many, cycled to fill the batch (else null).</summary>
    public int? DistinctSamples { get; init; }
    /// <summary>
    /// Outputs whose shape contradicts the model's declared one ("output 'Y' is 2x3x7, declared [2,3]"): ONNX Runtime runs
    /// such a model but refuses bound buffers for them, so its runs allocate the outputs (else null).
    /// </summary>
    public string? UndeclaredOutputShapes { get; init; }
    /// <summary>Every timed run's latency in ms, in order (written to latency.csv, not to report.json).</summary>
    [JsonIgnore]
    public double[] RunLatenciesMs { get; init; } = [];
}

/// <summary>Cold start: creating the session (loading and optimizing the model), and the first run, separately.</summary>
/// <remarks>Null where the runtime does not give the figure (trtexec reports no first run).</remarks>
public sealed record ColdStart(double? SessionCreationMs, double? FirstRunMs);

/// <summary>
/// Mean time per run of the bench timing loop, of a bare ORT <c>Run</c> loop on the same values, and of a bare
/// <c>RunWithBinding</c> loop (the same call as the timing loop, without its clock reads and bookkeeping).
/// </summary>
public sealed record TimingOverhead(int RunsPerLoop, int Rounds, double BareRunMs, double BareBindingRunMs, double TimingLoopMs)
{
    /// <summary>The timing loop against the bare <c>Run</c> loop, in percent (negative: the timing loop is faster).</summary>
    public double OverheadPercent => (TimingLoopMs / BareRunMs - 1) * 100;
    /// <summary>The timing loop against the bare <c>RunWithBinding</c> loop: the cost of timing each run alone.</summary>
    public double TimingCostPercent => (TimingLoopMs / BareBindingRunMs - 1) * 100;
}
