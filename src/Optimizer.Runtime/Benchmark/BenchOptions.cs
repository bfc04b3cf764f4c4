using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Benchmark;

/// <summary>Everything <c>optimize bench</c> was asked to do.</summary>
public sealed record BenchOptions
{
    public required string ModelPath { get; init; }
    public DataOptions Data { get; init; } = new();
    public SessionSettings Session { get; init; } = SessionSettings.ForSpeed;
    public int Warmup { get; init; } = 10;
    /// <summary>Timed runs per batch size; ignored when <see cref="Duration"/> is given.</summary>
    public int Runs { get; init; } = 100;
    /// <summary>Run for this long per batch size instead of a fixed number of runs.</summary>
    public TimeSpan? Duration { get; init; }
    public IReadOnlyList<int> BatchSizes { get; init; } = [1];
    /// <summary>Also compare the timing loop with a bare ONNX Runtime Run loop.</summary>
    public bool MeasureOverhead { get; init; }
}

/// <summary>Progress of a benchmark: which batch size, which phase, how far.</summary>
public readonly record struct BenchProgress(int BatchSize, string Phase, int Done, int Total);
