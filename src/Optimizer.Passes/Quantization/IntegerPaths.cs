using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// Whether quantizing an element-wise, pooling or data-movement node pays on ONNX Runtime's CPU provider: only when
/// its output reaches an integer Conv/MatMul/Gemm (through ops that also run on uint8). A residual Add whose result
/// only LayerNormalization reads, say, would get a QLinearAdd whose output is converted straight back to float, and
/// its Q would force the MatMul before it to round its output too. A node kept in float (excluded by name or op type,
/// or returned to float by an accuracy budget) neither counts as an integer kernel nor passes the search on: a budget
/// that returns a Conv to float must not leave the Concat before it quantized alone between float ops.
/// </summary>
internal static class IntegerPaths
{
    public const string NoIntegerConsumer =
        "its output reaches no integer Conv, MatMul or Gemm (only float ops read it): Q/DQ would only add conversions and rounding";

    /// <summary>How far through uint8-capable ops the search looks for an integer kernel.</summary>
    private const int MaxDepth = 24;

    public static bool FeedsIntegerKernel(Node node, QuantizationTarget target, Func<Node, bool> staysFloat)
    {
        var seen = new HashSet<Node> { node };
        var frontier = new Queue<(Node Node, int Depth)>();
        frontier.Enqueue((node, 0));
        while (frontier.Count > 0)
        {
            var (current, depth) = frontier.Dequeue();
            foreach (var output in current.Outputs)
            {
                if (output is null) continue;
                foreach (var use in output.Uses)
                {
                    var consumer = use.Node;
                    if (!seen.Add(consumer) || !consumer.IsDefaultDomain || staysFloat(consumer)) continue;
                    var role = QdqPlanner.RoleOf(consumer.OpType, target);
                    if (role == QdqRole.Weighted && !(consumer.OpType == "ConvTranspose")) return true;
                    var passes = role is QdqRole.Binary or QdqRole.Unary or QdqRole.Movement or QdqRole.Concat || consumer.OpType is "Relu" or "Clip";
                    if (passes && depth < MaxDepth) frontier.Enqueue((consumer, depth + 1));
                }
            }
        }
        return false;
    }

    /// <summary>The name of a constant operand of a binary node that holds more than one value, or null.</summary>
    public static string? VectorConstantOperand(Node node) =>
        node.Inputs.FirstOrDefault(i => Patterns.Constant(i) is { ElementCount: > 1 })?.Name;
}
