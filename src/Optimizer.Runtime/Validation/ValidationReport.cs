namespace Optimizer.Runtime.Validation;

/// <summary>Everything <c>optimize validate</c> measured and decided; written as report.json and read back by --against.</summary>
public sealed record ValidationReport
{
    /// <summary>The baseline model, or the stored report compared against.</summary>
    public required string Baseline { get; init; }
    public required string Candidate { get; init; }
    public required string Data { get; init; }
    /// <summary>How the models ran: runtime, provider, whether ONNX Runtime's graph optimizations were on.</summary>
    public string Runtime { get; init; } = "";
    public int Samples { get; init; }
    public required IReadOnlyList<OutputMetrics> Outputs { get; init; }
    public AccuracyMetrics? Accuracy { get; init; }
    public required LatencyComparison Latency { get; init; }
    public IReadOnlyList<GateResult> Gates { get; init; } = [];
    public bool Passed => Gates.All(g => g.Passed);
    public DateTimeOffset Date { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>True accuracy (top-1 against the labels) of each model on the first classifier-like output.</summary>
public sealed record AccuracyMetrics(string Output, long LabelledSamples, double Baseline, double Candidate)
{
    public double Drop => Baseline - Candidate;
}

/// <summary>Per-sample latency of each model (one sample per run, after one warm-up run) and the speed-up.</summary>
public sealed record LatencyComparison(double BaselineP50Ms, double BaselineP95Ms, double CandidateP50Ms, double CandidateP95Ms)
{
    /// <summary>Baseline p50 / candidate p50: above 1 when the candidate is faster.</summary>
    public double Speedup => BaselineP50Ms / CandidateP50Ms;
}
