using System.Text.Json.Serialization;

namespace Optimizer.Runtime.Benchmark.Profiling;

/// <summary>One model's profile: where its time went in the profiled runs, and the profiler's own trace (kept for the report folder).</summary>
public sealed record ModelProfile
{
    public required string Model { get; init; }
    public required int BatchSize { get; init; }
    /// <summary>Runs made before the profiled ones (profiled by ONNX Runtime too, but not counted).</summary>
    public required int Warmup { get; init; }
    public required ProfileTable Table { get; init; }
    /// <summary>The file name the trace is kept under in a report folder.</summary>
    public required string TraceFileName { get; init; }
    /// <summary>The profiler's raw trace (ONNX Runtime's Chrome trace JSON, or trtexec's exported profile).</summary>
    [JsonIgnore]
    public string Trace { get; init; } = "";
}

/// <summary>Time per run of one op type in the baseline and in the candidate (0 where a model has none), and the change.</summary>
public sealed record OpTypeChange(string OpType, double BaselineMsPerRun, double CandidateMsPerRun)
{
    public double ChangeMs => CandidateMsPerRun - BaselineMsPerRun;
    /// <summary>Candidate over baseline (null when the baseline has none of this op type).</summary>
    public double? Ratio => BaselineMsPerRun > 0 ? CandidateMsPerRun / BaselineMsPerRun : null;
}

/// <summary>bench --profile --baseline: both models profiled, their op types side by side.</summary>
public sealed record ProfileComparison(ModelProfile Baseline, ModelProfile Candidate, IReadOnlyList<OpTypeChange> OpTypes)
{
    /// <summary>Op types of both tables side by side, by the larger of the two times first.</summary>
    public static ProfileComparison Of(ModelProfile baseline, ModelProfile candidate)
    {
        var a = baseline.Table.OpTypes.ToDictionary(e => e.Name, e => e.MsPerRun);
        var b = candidate.Table.OpTypes.ToDictionary(e => e.Name, e => e.MsPerRun);
        var rows = a.Keys.Union(b.Keys)
            .Select(op => new OpTypeChange(op, a.GetValueOrDefault(op), b.GetValueOrDefault(op)))
            .OrderByDescending(r => Math.Max(r.BaselineMsPerRun, r.CandidateMsPerRun)).ThenBy(r => r.OpType, StringComparer.Ordinal).ToList();
        return new ProfileComparison(baseline, candidate, rows);
    }
}
