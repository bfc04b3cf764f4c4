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
    /// When set, latency is timed on sessions of these settings instead (a quantized model is only fast once ONNX
    /// Runtime has fused its Q/DQ pairs, which the comparison sessions must not do).
    /// </summary>
    public SessionSettings? LatencySession { get; init; }
    public IReadOnlyList<Gate> Gates { get; init; } = [];
}
