using Optimizer.Passes.Pruning;

namespace Optimizer.Cli.Pipeline;

/// <summary>What <c>--prune</c> and its companions asked for, parsed once.</summary>
public sealed record PruneOptions
{
    /// <summary>Whole channels (the graph shrinks) or single weights (zeros, same graph).</summary>
    public required bool Structured { get; init; }

    public required PruningSettings Settings { get; init; }

    public string Mode => Structured ? "structured" : "unstructured";
}
