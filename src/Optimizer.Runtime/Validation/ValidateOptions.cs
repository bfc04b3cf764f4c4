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
    public IReadOnlyList<Gate> Gates { get; init; } = [];
}
