using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Validation;

/// <summary>Everything <c>optimize validate</c> was asked to do.</summary>
public sealed record ValidateOptions
{
    /// <summary>The baseline model; null when comparing with a stored report (<see cref="AgainstReport"/>).</summary>
    public string? BaselinePath { get; init; }
    public required string CandidatePath { get; init; }
    /// <summary>A report.json of an earlier validate run (a release's), compared with instead of re-running a baseline.</summary>
    public string? AgainstReport { get; init; }
    public DataOptions Data { get; init; } = new();
    /// <summary>ONNX Runtime optimizations are off by default, so they cannot hide or cause a difference.</summary>
    public SessionSettings Session { get; init; } = SessionSettings.ForComparison;
    /// <summary>
    /// The sessions latency is timed on, apart from the comparison's: by default ONNX Runtime's full optimizations, as a
    /// deployment runs (a quantized model is only fast once ONNX Runtime has fused its Q/DQ pairs, which the comparison
    /// sessions must not do).
    /// </summary>
    public SessionSettings LatencySession { get; init; } = SessionSettings.ForSpeed;

    /// <summary>Time both models side by side for the speed-up (off where only accuracy matters, as in a budget search).</summary>
    public bool TimeLatency { get; init; } = true;

    public Benchmark.PairedTiming.Settings Timing { get; init; } = new();
    public IReadOnlyList<Gate> Gates { get; init; } = [];

    /// <summary>Outputs fed back as the next sample's inputs, each model its own (<c>--feed-back</c>): the samples as one stream.</summary>
    public IReadOnlyList<FeedBack> FeedBack { get; init; } = [];
}
