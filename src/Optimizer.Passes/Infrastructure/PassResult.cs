namespace Optimizer.Passes.Infrastructure;

/// <summary>What one run of a pass did: whether the model changed and how many rewrites it announced.</summary>
public readonly record struct PassResult(bool Changed, int Rewrites)
{
    public static PassResult Unchanged => new(false, 0);

    public static PassResult FromRewrites(int rewrites) => new(rewrites > 0, rewrites);
}

/// <summary>
/// What a pass changed over all its repetitions, as the report shows it: nodes removed and added (by identity, over
/// every graph), rewrites announced, and constant bytes saved (initializers plus Constant nodes).
/// </summary>
public sealed record PassRecord
{
    public required string Name { get; init; }
    public required int Iterations { get; init; }
    public required bool Changed { get; init; }
    public required int NodesRemoved { get; init; }
    public required int NodesAdded { get; init; }
    public required int NodesRewritten { get; init; }
    public required long BytesSaved { get; init; }
    /// <summary>Of <see cref="NodesRemoved"/>, the Constant nodes: weights moved or dropped, no computation saved.</summary>
    public int ConstantNodesRemoved { get; init; }
    public int InitializersRemoved { get; init; }
    public int InitializersAdded { get; init; }
    public required int Declines { get; init; }
    public required double Seconds { get; init; }
}
