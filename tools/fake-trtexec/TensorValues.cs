using Optimizer.Onnx.Protobuf;

namespace FakeTrtexec;

/// <summary>Reads the numbers of a constant tensor (raw_data little-endian, or the typed repeated fields).</summary>
internal static class TensorValues
{
    public static long ElementCount(TensorProto t) => t.Dims.Aggregate(1L, (a, d) => a * d);

    public static double[] Read(TensorProto t)
    {
        var type = (TensorProto.Types.DataType)t.DataType;
        if (t.HasRawData && t.RawData.Length > 0) return FromRaw(type, t.RawData.Span);
        return type switch
        {
            TensorProto.Types.DataType.Float => t.FloatData.Select(v => (double)v).ToArray(),
            TensorProto.Types.DataType.Double => t.DoubleData.ToArray(),
            TensorProto.Types.DataType.Int64 => t.Int64Data.Select(v => (double)v).ToArray(),
            TensorProto.Types.DataType.Float16 => t.Int32Data.Select(v => (double)BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(),
            _ => t.Int32Data.Select(v => (double)v).ToArray(), // int8, uint8, int16, int32, bool keep their values here
        };
    }

    private static double[] FromRaw(TensorProto.Types.DataType type, ReadOnlySpan<byte> raw)
    {
        switch (type)
        {
            case TensorProto.Types.DataType.Float: return Convert(raw, 4, (s) => BitConverter.ToSingle(s));
            case TensorProto.Types.DataType.Double: return Convert(raw, 8, (s) => BitConverter.ToDouble(s));
            case TensorProto.Types.DataType.Float16: return Convert(raw, 2, (s) => (double)BitConverter.ToHalf(s));
            case TensorProto.Types.DataType.Int8: return raw.ToArray().Select(b => (double)(sbyte)b).ToArray();
            case TensorProto.Types.DataType.Uint8: return raw.ToArray().Select(b => (double)b).ToArray();
            case TensorProto.Types.DataType.Int32: return Convert(raw, 4, (s) => BitConverter.ToInt32(s));
            case TensorProto.Types.DataType.Int64: return Convert(raw, 8, (s) => BitConverter.ToInt64(s));
            default: return [];
        }
    }

    private delegate double Decode(ReadOnlySpan<byte> bytes);

    private static double[] Convert(ReadOnlySpan<byte> raw, int size, Decode decode)
    {
        var result = new double[raw.Length / size];
        for (var i = 0; i < result.Length; i++) result[i] = decode(raw.Slice(i * size, size));
        return result;
    }
}
