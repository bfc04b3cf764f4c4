using Microsoft.ML.OnnxRuntime.Tensors;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Facts about tensor element types (ONNX Runtime's <see cref="TensorElementType"/>, whose numbers are ONNX's
/// TensorProto.DataType): byte sizes, names, the numpy 'descr' codes, and reading any numeric element as a double.
/// </summary>
public static class TensorTypes
{
    public static int SizeOf(TensorElementType type) => type switch
    {
        TensorElementType.Bool or TensorElementType.Int8 or TensorElementType.UInt8 => 1,
        TensorElementType.Int16 or TensorElementType.UInt16 or TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        TensorElementType.Int32 or TensorElementType.UInt32 or TensorElementType.Float => 4,
        TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Double => 8,
        _ => throw new NotSupportedException($"element type {type} is not supported"),
    };

    public static bool IsSupported(TensorElementType type) => type switch
    {
        TensorElementType.Bool or TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Int16
            or TensorElementType.UInt16 or TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Int32
            or TensorElementType.UInt32 or TensorElementType.Float or TensorElementType.Int64 or TensorElementType.UInt64
            or TensorElementType.Double => true,
        _ => false,
    };

    /// <summary>The numpy-style name (float32, int64, ...), used in messages.</summary>
    public static string Name(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Double => "float64",
        TensorElementType.Float16 => "float16",
        TensorElementType.BFloat16 => "bfloat16",
        TensorElementType.Bool => "bool",
        _ => type.ToString().ToLowerInvariant(),
    };

    public static TensorElementType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? TensorElementType.Float
        : typeof(T) == typeof(double) ? TensorElementType.Double
        : typeof(T) == typeof(long) ? TensorElementType.Int64
        : typeof(T) == typeof(int) ? TensorElementType.Int32
        : typeof(T) == typeof(short) ? TensorElementType.Int16
        : typeof(T) == typeof(sbyte) ? TensorElementType.Int8
        : typeof(T) == typeof(byte) ? TensorElementType.UInt8
        : typeof(T) == typeof(ushort) ? TensorElementType.UInt16
        : typeof(T) == typeof(uint) ? TensorElementType.UInt32
        : typeof(T) == typeof(ulong) ? TensorElementType.UInt64
        : typeof(T) == typeof(bool) ? TensorElementType.Bool
        : typeof(T) == typeof(Half) ? TensorElementType.Float16
        : throw new NotSupportedException($"no tensor element type for {typeof(T).Name}");

    /// <summary>The element type of a numpy 'descr' without its byte-order character ('f4', 'i8', 'b1', ...).</summary>
    public static TensorElementType? FromNumpy(string code) => code switch
    {
        "f4" => TensorElementType.Float,
        "f8" => TensorElementType.Double,
        "f2" => TensorElementType.Float16,
        "i1" => TensorElementType.Int8,
        "i2" => TensorElementType.Int16,
        "i4" => TensorElementType.Int32,
        "i8" => TensorElementType.Int64,
        "u1" => TensorElementType.UInt8,
        "u2" => TensorElementType.UInt16,
        "u4" => TensorElementType.UInt32,
        "u8" => TensorElementType.UInt64,
        "b1" => TensorElementType.Bool,
        _ => null,
    };

    public static string ToNumpy(TensorElementType type) => type switch
    {
        TensorElementType.Float => "<f4",
        TensorElementType.Double => "<f8",
        TensorElementType.Float16 => "<f2",
        TensorElementType.Int8 => "|i1",
        TensorElementType.Int16 => "<i2",
        TensorElementType.Int32 => "<i4",
        TensorElementType.Int64 => "<i8",
        TensorElementType.UInt8 => "|u1",
        TensorElementType.UInt16 => "<u2",
        TensorElementType.UInt32 => "<u4",
        TensorElementType.UInt64 => "<u8",
        TensorElementType.Bool => "|b1",
        _ => throw new NotSupportedException($"{type} has no numpy type"),
    };

    /// <summary>Element <paramref name="index"/> of a tensor's bytes as a double.</summary>
    public static double ReadAsDouble(ReadOnlySpan<byte> bytes, TensorElementType type, long index)
    {
        var i = checked((int)index);
        return type switch
        {
            TensorElementType.Float => BitConverter.ToSingle(bytes[(i * 4)..]),
            TensorElementType.Double => BitConverter.ToDouble(bytes[(i * 8)..]),
            TensorElementType.Float16 => (double)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(bytes[(i * 2)..])),
            TensorElementType.BFloat16 => BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(bytes[(i * 2)..]) << 16),
            TensorElementType.Int8 => (sbyte)bytes[i],
            TensorElementType.UInt8 or TensorElementType.Bool => bytes[i],
            TensorElementType.Int16 => BitConverter.ToInt16(bytes[(i * 2)..]),
            TensorElementType.UInt16 => BitConverter.ToUInt16(bytes[(i * 2)..]),
            TensorElementType.Int32 => BitConverter.ToInt32(bytes[(i * 4)..]),
            TensorElementType.UInt32 => BitConverter.ToUInt32(bytes[(i * 4)..]),
            TensorElementType.Int64 => BitConverter.ToInt64(bytes[(i * 8)..]),
            TensorElementType.UInt64 => BitConverter.ToUInt64(bytes[(i * 8)..]),
            _ => throw new NotSupportedException($"element type {type} is not supported"),
        };
    }

    /// <summary>Copies every element of <paramref name="tensor"/> into <paramref name="destination"/> as doubles.</summary>
    public static void ToDoubles(HostTensor tensor, Span<double> destination)
    {
        var n = tensor.ElementCount;
        if (tensor.ElementType == TensorElementType.Float)
        {
            var floats = tensor.AsSpan<float>();
            for (var i = 0; i < floats.Length; i++) destination[i] = floats[i];
            return;
        }
        for (long i = 0; i < n; i++) destination[(int)i] = ReadAsDouble(tensor.Bytes, tensor.ElementType, i);
    }
}
