using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Quantization;

/// <summary>The scalar scale and zero-point initializers of a per-tensor QuantizeLinear/DequantizeLinear.</summary>
internal static class QdqParameters
{
    /// <summary>
    /// Adds <c>NAME_scale</c> (float) and <c>NAME_zero_point</c> (uint8, or int8 when <paramref name="unsigned"/> is
    /// false) to <paramref name="graph"/>, named uniquely.
    /// </summary>
    public static (Value Scale, Value Zero) Add(Graph graph, string name, QuantParams p, bool unsigned = true)
    {
        var scale = graph.AddInitializer(Tensor.Scalar(graph.UniqueValueName(name + "_scale"), p.Scale));
        var zero = unsigned
            ? graph.AddInitializer(Tensor.Scalar(graph.UniqueValueName(name + "_zero_point"), (byte)p.ZeroPoint))
            : graph.AddInitializer(Tensor.Scalar(graph.UniqueValueName(name + "_zero_point"), (sbyte)p.ZeroPoint));
        return (scale, zero);
    }
}
