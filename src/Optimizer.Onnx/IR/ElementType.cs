namespace Optimizer.Onnx.IR;

/// <summary>Tensor element types, numbered as ONNX's <c>TensorProto.DataType</c>.</summary>
public enum ElementType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
    Float8E4M3FN = 17,
    Float8E4M3FNUZ = 18,
    Float8E5M2 = 19,
    Float8E5M2FNUZ = 20,
    UInt4 = 21,
    Int4 = 22,
    Float4E2M1 = 23,
    Float8E8M0 = 24,
    UInt2 = 25,
    Int2 = 26,
}

public static class ElementTypes
{
    /// <summary>Bits per element in raw (little-endian, packed) form; 0 for strings and undefined.</summary>
    public static int BitWidth(this ElementType type) => type switch
    {
        ElementType.Float or ElementType.Int32 or ElementType.UInt32 => 32,
        ElementType.Double or ElementType.Int64 or ElementType.UInt64 or ElementType.Complex64 => 64,
        ElementType.Complex128 => 128,
        ElementType.Float16 or ElementType.BFloat16 or ElementType.Int16 or ElementType.UInt16 => 16,
        ElementType.UInt8 or ElementType.Int8 or ElementType.Bool or ElementType.Float8E4M3FN or ElementType.Float8E4M3FNUZ
            or ElementType.Float8E5M2 or ElementType.Float8E5M2FNUZ or ElementType.Float8E8M0 => 8,
        ElementType.UInt4 or ElementType.Int4 or ElementType.Float4E2M1 => 4,
        ElementType.UInt2 or ElementType.Int2 => 2,
        _ => 0,
    };

    /// <summary>
    /// Bytes that <paramref name="count"/> elements occupy in raw form (sub-byte types are packed, rounded up); an
    /// <see cref="OverflowException"/> past 64 bits (for counts read from a model, see <see cref="ElementCounts.Bytes"/>).
    /// </summary>
    public static long ByteCount(this ElementType type, long count) =>
        ElementCounts.TryBytes(type, count) ?? throw new OverflowException($"{count} elements of {type.ShortName()} do not fit in 64 bits of bytes");

    public static bool IsFloatingPoint(this ElementType type) => type is ElementType.Float or ElementType.Double
        or ElementType.Float16 or ElementType.BFloat16 or ElementType.Float8E4M3FN or ElementType.Float8E4M3FNUZ
        or ElementType.Float8E5M2 or ElementType.Float8E5M2FNUZ or ElementType.Float4E2M1 or ElementType.Float8E8M0;

    public static bool IsInteger(this ElementType type) => type is ElementType.Int8 or ElementType.UInt8 or ElementType.Int16
        or ElementType.UInt16 or ElementType.Int32 or ElementType.UInt32 or ElementType.Int64 or ElementType.UInt64
        or ElementType.Int4 or ElementType.UInt4 or ElementType.Int2 or ElementType.UInt2;

    /// <summary>A short name for printing: f32, f16, i64, u8, bool, str...</summary>
    public static string ShortName(this ElementType type) => type switch
    {
        ElementType.Float => "f32",
        ElementType.Double => "f64",
        ElementType.Float16 => "f16",
        ElementType.BFloat16 => "bf16",
        ElementType.Int8 => "i8",
        ElementType.Int16 => "i16",
        ElementType.Int32 => "i32",
        ElementType.Int64 => "i64",
        ElementType.UInt8 => "u8",
        ElementType.UInt16 => "u16",
        ElementType.UInt32 => "u32",
        ElementType.UInt64 => "u64",
        ElementType.Bool => "bool",
        ElementType.String => "str",
        ElementType.Complex64 => "c64",
        ElementType.Complex128 => "c128",
        ElementType.Int4 => "i4",
        ElementType.UInt4 => "u4",
        ElementType.Int2 => "i2",
        ElementType.UInt2 => "u2",
        ElementType.Undefined => "?",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>The element type of a .NET primitive, for tensors made from arrays.</summary>
    public static ElementType Of<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => ElementType.Float,
        var t when t == typeof(double) => ElementType.Double,
        var t when t == typeof(Half) => ElementType.Float16,
        var t when t == typeof(sbyte) => ElementType.Int8,
        var t when t == typeof(byte) => ElementType.UInt8,
        var t when t == typeof(short) => ElementType.Int16,
        var t when t == typeof(ushort) => ElementType.UInt16,
        var t when t == typeof(int) => ElementType.Int32,
        var t when t == typeof(uint) => ElementType.UInt32,
        var t when t == typeof(long) => ElementType.Int64,
        var t when t == typeof(ulong) => ElementType.UInt64,
        var t when t == typeof(bool) => ElementType.Bool,
        _ => throw new ArgumentException($"{typeof(T).Name} has no ONNX element type"),
    };
}
