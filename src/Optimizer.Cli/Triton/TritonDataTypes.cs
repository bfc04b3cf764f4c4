using Inference;
using Optimizer.Onnx.IR;

namespace Optimizer.Cli.Triton;

/// <summary>ONNX element types as Triton's <c>DataType</c> (the table of Triton's model configuration guide).</summary>
internal static class TritonDataTypes
{
    /// <summary>The Triton type of an ONNX element type; null for types Triton has none for (complex, float8, int4, ...).</summary>
    public static DataType? Of(ElementType type) => type switch
    {
        ElementType.Bool => DataType.TypeBool,
        ElementType.UInt8 => DataType.TypeUint8,
        ElementType.UInt16 => DataType.TypeUint16,
        ElementType.UInt32 => DataType.TypeUint32,
        ElementType.UInt64 => DataType.TypeUint64,
        ElementType.Int8 => DataType.TypeInt8,
        ElementType.Int16 => DataType.TypeInt16,
        ElementType.Int32 => DataType.TypeInt32,
        ElementType.Int64 => DataType.TypeInt64,
        ElementType.Float16 => DataType.TypeFp16,
        ElementType.Float => DataType.TypeFp32,
        ElementType.Double => DataType.TypeFp64,
        ElementType.String => DataType.TypeString,
        ElementType.BFloat16 => DataType.TypeBf16,
        _ => null,
    };

    /// <summary>The name model_config.proto gives the type (TYPE_FP32, ...), as config.pbtxt spells it.</summary>
    public static string Name(DataType type) =>
        ModelConfigReflection.Descriptor.EnumTypes.Single(e => e.Name == nameof(DataType)).FindValueByNumber((int)type)?.Name
        ?? ((int)type).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
