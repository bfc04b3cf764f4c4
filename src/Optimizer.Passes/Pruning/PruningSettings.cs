namespace Optimizer.Passes.Pruning;

/// <summary>The norm a channel (or weight) is scored by.</summary>
public enum PruneNorm
{
    L1,
    L2,
}

/// <summary>Where an unstructured amount applies: to each layer's weights, or to all layers' weights at once.</summary>
public enum PruneScope
{
    Layer,
    Global,
}

/// <summary>
/// What a pruning pass removes. Exactly one of <see cref="Threshold"/> (a norm or magnitude below which a channel or
/// weight goes) and <see cref="Amount"/> (the fraction to remove, in [0, 1)) is set.
/// </summary>
public sealed record PruningSettings
{
    public PruneNorm Norm { get; init; } = PruneNorm.L2;

    public double? Threshold { get; init; }

    public double? Amount { get; init; }

    /// <summary>Unstructured only: per layer (default) or one magnitude cut over every layer.</summary>
    public PruneScope Scope { get; init; } = PruneScope.Layer;

    /// <summary>Unstructured only: two zeros in every four consecutive weights along the input dimension (2:4).</summary>
    public bool TwoFour { get; init; }

    /// <summary>Node names or op types left alone.</summary>
    public IReadOnlySet<string> Exclude { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Structured only: the largest fraction of one layer's output channels that may go (null: no bound but one channel stays).</summary>
    public double? MaxPerLayer { get; init; }

    /// <summary>
    /// Structured only: each group keeps a multiple of this many channels (when it has more than that), because
    /// ONNX Runtime's CPU convolutions run channel counts in blocks of 8 or 16 (NCHWc) and odd counts fall off that path.
    /// </summary>
    public int ChannelMultiple { get; init; } = 1;

    /// <summary>Structured only: layers whose groups are kept whole (the accuracy budget spares the most sensitive groups).</summary>
    public IReadOnlySet<string> Spared { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    public bool Excludes(Onnx.IR.Node node) => Exclude.Contains(node.OpType) || (node.Name.Length > 0 && Exclude.Contains(node.Name));
}
