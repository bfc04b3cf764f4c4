using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Precision;

/// <summary>A node that stays float32 and why.</summary>
public sealed record KeptFloat(string Node, string OpType, string Reason);

/// <summary>
/// Which nodes compute in half precision and which stay float32 (with the reasons), decided on the IR alone before
/// anything changes. Only nodes that read or write float32 tensors are listed either way.
/// </summary>
public sealed class PrecisionPlan
{
    public PrecisionPlan(IReadOnlySet<Node> half, IReadOnlyList<(Node Node, string Reason)> keptFloat)
    {
        Half = half;
        KeptFloatNodes = keptFloat;
    }

    /// <summary>The nodes converted to half.</summary>
    public IReadOnlySet<Node> Half { get; }

    /// <summary>Nodes touching float32 tensors that stay float32, in graph order, with the reason.</summary>
    public IReadOnlyList<(Node Node, string Reason)> KeptFloatNodes { get; }

    public IReadOnlyList<KeptFloat> KeptFloat => KeptFloatNodes.Select(k => new KeptFloat(k.Node.Name, k.Node.OpType, k.Reason)).ToList();

    public bool IsHalf(Node node) => Half.Contains(node);
}
