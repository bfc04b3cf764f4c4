using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear (per-tensor, per-axis and blocked alike: x's shape).</summary>
internal static class QuantizationRules
{
    /// <summary>y like x, of the zero point's type, else output_dtype (opset 21), else uint8.</summary>
    public static void QuantizeLinear(NodeContext c)
    {
        var type = c.HasInput(2) ? c.InputType(2) : c.Int("output_dtype", 0) is var d and not 0 ? (ElementType)d : ElementType.UInt8;
        c.SetOutput(0, type, c.InputShape(0));
    }

    /// <summary>y like x, of the scale's type (float before opset 19).</summary>
    public static void DequantizeLinear(NodeContext c)
    {
        var type = c.Opset >= 19 ? c.InputType(1) : ElementType.Float;
        c.SetOutput(0, type, c.InputShape(0));
    }

    /// <summary>y uint8 like x; scale float and zero point uint8 scalars.</summary>
    public static void DynamicQuantizeLinear(NodeContext c)
    {
        c.SetOutput(0, ElementType.UInt8, c.InputShape(0));
        c.SetOutput(1, ElementType.Float, []);
        c.SetOutput(2, ElementType.UInt8, []);
    }
}
