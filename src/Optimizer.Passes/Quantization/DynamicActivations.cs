using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Quantization;

/// <summary>
/// The run-time quantization of activations for one run of the dynamic pass: one DynamicQuantizeLinear per float
/// value and graph, shared by every quantized consumer of that value (as ONNX Runtime's quantize_dynamic does), so
/// Q, K and V of an attention block quantize their common input once.
/// </summary>
internal sealed class DynamicActivations
{
    private readonly Dictionary<(Value, Graph), Node> _quantizers = [];

    /// <summary>The (uint8 values, scale, zero point) of <paramref name="activation"/>, quantized before <paramref name="consumer"/> on first use.</summary>
    public (Value Quantized, Value Scale, Value ZeroPoint) Quantize(Value activation, Node consumer)
    {
        var graph = consumer.Graph!;
        if (!_quantizers.TryGetValue((activation, graph), out var dql) || dql.Graph != graph)
        {
            // Nodes are visited in graph order, so the first consumer met precedes every later one.
            dql = Patterns.InsertBefore(consumer, "DynamicQuantizeLinear", [activation], activation.Name + "_dq", outputs: 3);
            dql.Output(0).Type = new TensorTypeInfo(ElementType.UInt8, activation.Shape);
            dql.Output(1).Type = new TensorTypeInfo(ElementType.Float, Shape.Scalar);
            dql.Output(2).Type = new TensorTypeInfo(ElementType.UInt8, Shape.Scalar);
            _quantizers[(activation, graph)] = dql;
        }
        return (dql.Output(0), dql.Output(1), dql.Output(2));
    }
}
