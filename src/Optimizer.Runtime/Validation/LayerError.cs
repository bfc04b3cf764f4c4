namespace Optimizer.Runtime.Validation;

/// <summary>
/// How far one intermediate value of a quantized model is from the same value of its FP32 original, over all samples:
/// SQNR in dB (<see cref="double.PositiveInfinity"/> when the two agree exactly), the cosine of the angle between
/// the two as long vectors, the largest absolute difference, and how many elements were compared. <see cref="Node"/>
/// and <see cref="OpType"/> name the node that produces the value, when known.
/// </summary>
public sealed record LayerError(string Value, string? Node, string? OpType, double SqnrDb, double Cosine, double MaxAbs, long Elements)
{
    /// <summary>What a report shows for this value: the node's name, else the value's.</summary>
    public string Label => string.IsNullOrEmpty(Node) ? Value : Node;
}
