using System.Buffers.Binary;

namespace Optimizer.Onnx.IR;

/// <summary>Conversions of raw tensor bytes to numbers, for passes that compute on weights.</summary>
public static class TensorValues
{
    public static double[] ToDoubles(ElementType type, ReadOnlySpan<byte> raw, long count)
    {
        var result = new double[count];
        for (var i = 0; i < count; i++)
            result[i] = type switch
            {
                ElementType.Float => BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]),
                ElementType.Double => BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]),
                ElementType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..]),
                ElementType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16),
                ElementType.Int8 => (sbyte)raw[i],
                ElementType.UInt8 => raw[i],
                ElementType.Bool => raw[i] != 0 ? 1 : 0,
                ElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]),
                ElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]),
                ElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]),
                ElementType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(raw[(i * 4)..]),
                ElementType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]),
                ElementType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(raw[(i * 8)..]),
                _ => throw new NotSupportedException($"cannot convert {type.ShortName()} elements to numbers"),
            };
        return result;
    }
}
