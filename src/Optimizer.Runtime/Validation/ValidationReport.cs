using System.Text.Json.Serialization;

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
    /// <summary>The provider and every session and provider option of the accuracy runs, defaults included.</summary>
    public Sessions.SessionOptionsInEffect? SessionOptions { get; init; }
    /// <summary>The same for the latency runs (ONNX Runtime's optimizations on), when latency was timed.</summary>
    public Sessions.SessionOptionsInEffect? LatencySessionOptions { get; init; }
    public int Samples { get; init; }
    public required IReadOnlyList<OutputMetrics> Outputs { get; init; }
    public AccuracyMetrics? Accuracy { get; init; }
    public required LatencyComparison Latency { get; init; }
    public IReadOnlyList<GateResult> Gates { get; init; } = [];
    /// <summary>With --feed-back: the outputs fed back as inputs (OUTPUT=INPUT), the samples run as one stream.</summary>
    public IReadOnlyList<string>? FedBack { get; init; }
    /// <summary>
    /// No gate failed: the exit code (0 or 1) and a budget round's outcome. True also when no gate was given, so it is
    /// not written; report.json's "passed" is <see cref="Verdict"/>.
    /// </summary>
    [JsonIgnore]
    public bool Passed => Gates.All(g => g.Passed);

    /// <summary>Whether any gate was given: without one nothing was checked, and the run neither passed nor failed.</summary>
    public bool Checked => Gates.Count > 0;

    /// <summary>report.json's "passed": whether the gates held, and null (written as null) when none was given.</summary>
    [JsonPropertyName("passed"), JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public bool? Verdict => Checked ? Passed : null;

    /// <summary>The verdict in words: "passed", "FAILED", or "not checked" (no gate given).</summary>
    [JsonIgnore]
    public string Status => !Checked ? "not checked" : Passed ? "passed" : "FAILED";
    public DateTimeOffset Date { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>True accuracy (top-1 against the labels) of each model on the first classifier-like output.</summary>
public sealed record AccuracyMetrics(string Output, long LabelledSamples, double Baseline, double Candidate)
{
    public double Drop => Baseline - Candidate;

    /// <summary>True when the labels are text (a dictionary.txt beside them): the share of samples read exactly, not of classes right.</summary>
    public bool ExactText { get; init; }

    /// <summary>With text labels: each model's character error rate against the true text (edits over the truth's characters).</summary>
    public double? BaselineCharacterErrorRate { get; init; }

    /// <inheritdoc cref="BaselineCharacterErrorRate"/>
    public double? CandidateCharacterErrorRate { get; init; }
}

/// <summary>
/// Per-sample latency of each model and the speed-up. Against a baseline both are timed side by side in one run
/// (<see cref="Estimate"/>: the ratio's interval); against a stored report, the candidate alone.
/// </summary>
public sealed record LatencyComparison(double BaselineP50Ms, double BaselineP95Ms, double CandidateP50Ms, double CandidateP95Ms)
{
    /// <summary>Latency was not timed (only accuracy was asked for).</summary>
    public static LatencyComparison NotTimed { get; } = new(double.NaN, double.NaN, double.NaN, double.NaN);

    /// <summary>Baseline p50 / candidate p50: above 1 when the candidate is faster.</summary>
    public double Speedup => BaselineP50Ms / CandidateP50Ms;

    /// <summary>The speed-up with its bootstrap interval, when both models were timed side by side.</summary>
    public Benchmark.SpeedupEstimate? Estimate { get; init; }
}
