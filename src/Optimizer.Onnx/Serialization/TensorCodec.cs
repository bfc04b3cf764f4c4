using System.Buffers.Binary;
using Google.Protobuf;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;

namespace Optimizer.Onnx.Serialization;

/// <summary>
/// Converts between TensorProto and <see cref="Tensor"/>. Typed fields (float_data, int32_data, ...) are decoded
/// into the raw little-endian form per the ONNX spec; an unchanged tensor is written back exactly as it was read.
/// </summary>
internal static class TensorCodec
{
    public static Tensor Import(TensorProto p, string? baseDirectory)
    {
        var type = (ElementType)p.DataType;
        var dims = p.Dims.ToArray();
        var what = $"tensor '{p.Name}'";
        var count = ElementCounts.Product(dims, what);
        var expected = ElementCounts.Bytes(type, count, what);
        if (p.DataLocation == TensorProto.Types.DataLocation.External)
            return Tensor.Read(p.Name, type, dims, ImportExternal(p, baseDirectory, expected), null, p);
        if (type == ElementType.String)
            return Tensor.Read(p.Name, type, dims, null, p.StringData.Select(s => s.ToByteArray()).ToArray(), p);
        if (!p.HasRawData && expected > Array.MaxLength)
            throw new InvalidInputException(
                $"tensor '{p.Name}' of {type.ShortName()}[{string.Join(",", dims)}] should hold {expected} bytes of data, more than a model can hold inside its file");
        ReadOnlyMemory<byte> raw = p.HasRawData ? p.RawData.Memory : DecodeTyped(p, type, count);
        if (raw.Length != expected && !(raw.Length == 0 && count > 0 && p.Segment is not null))
            throw new InvalidInputException(
                $"tensor '{p.Name}' of {type.ShortName()}[{string.Join(",", dims)}] should hold {expected} bytes of data but holds {raw.Length}");
        return Tensor.Read(p.Name, type, dims, raw.Length == expected ? new MemoryTensorData(raw) : null, null, p);
    }

    private static ExternalTensorData ImportExternal(TensorProto p, string? baseDirectory, long expected)
    {
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in p.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = ParseLong(entry.Value, p.Name, "offset"); break;
                case "length": length = ParseLong(entry.Value, p.Name, "length"); break;
            }
        }
        if (location is null) throw new InvalidInputException($"tensor '{p.Name}' is marked external but names no location");
        if (baseDirectory is null)
            throw new InvalidInputException($"tensor '{p.Name}' keeps its data in '{location}', but the model was not read from a folder");
        var path = ExternalDataPaths.Resolve(baseDirectory, location, p.Name);
        var available = new FileInfo(path).Length - offset;
        var size = length ?? expected;
        if (size != expected)
            throw new InvalidInputException($"tensor '{p.Name}' needs {expected} bytes but its external data length is {size}");
        if (offset < 0 || available < size)
            throw new InvalidInputException($"external data file '{location}' is too short for tensor '{p.Name}' (offset {offset}, length {size})");
        return new ExternalTensorData(path, offset, size);
    }

    private static long ParseLong(string text, string tensor, string what) =>
        long.TryParse(text, out var v) && v >= 0 ? v : throw new InvalidInputException($"tensor '{tensor}' has an invalid external data {what} '{text}'");

    /// <summary>Decodes ONNX's typed storage fields into raw little-endian bytes.</summary>
    private static byte[] DecodeTyped(TensorProto p, ElementType type, long count)
    {
        var raw = new byte[type.ByteCount(count)];
        var span = raw.AsSpan();
        switch (type)
        {
            case ElementType.Float:
            case ElementType.Complex64:
                for (var i = 0; i < p.FloatData.Count && i * 4 < raw.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], p.FloatData[i]);
                break;
            case ElementType.Double:
            case ElementType.Complex128:
                for (var i = 0; i < p.DoubleData.Count && i * 8 < raw.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(span[(i * 8)..], p.DoubleData[i]);
                break;
            case ElementType.Int64:
                for (var i = 0; i < p.Int64Data.Count && i * 8 < raw.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(span[(i * 8)..], p.Int64Data[i]);
                break;
            case ElementType.UInt32:
                for (var i = 0; i < p.Uint64Data.Count && i * 4 < raw.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(span[(i * 4)..], (uint)p.Uint64Data[i]);
                break;
            case ElementType.UInt64:
                for (var i = 0; i < p.Uint64Data.Count && i * 8 < raw.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(span[(i * 8)..], p.Uint64Data[i]);
                break;
            case ElementType.Int32:
                for (var i = 0; i < p.Int32Data.Count && i * 4 < raw.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(span[(i * 4)..], p.Int32Data[i]);
                break;
            case ElementType.Int16:
            case ElementType.UInt16:
            case ElementType.Float16:
            case ElementType.BFloat16:
                for (var i = 0; i < p.Int32Data.Count && i * 2 < raw.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(span[(i * 2)..], (ushort)p.Int32Data[i]);
                break;
            default:
                // 8-bit and packed sub-byte types: one byte per int32_data entry.
                if (type.BitWidth() is 8 or 4 or 2)
                    for (var i = 0; i < p.Int32Data.Count && i < raw.Length; i++) raw[i] = (byte)p.Int32Data[i];
                else
                    throw new InvalidInputException($"tensor '{p.Name}' has unsupported element type {(int)type}");
                break;
        }
        return raw;
    }

    /// <summary>Writes a tensor; <paramref name="external"/>, when given, decides whether its data goes to a data file.</summary>
    public static TensorProto Export(Tensor t, ExternalDataSink? external)
    {
        var origin = t.Origin as TensorProto;
        var toExternal = external is not null && external.Wants(t);
        TensorProto p;
        if (origin is not null && t.DataIsOriginal && !toExternal && origin.DataLocation != TensorProto.Types.DataLocation.External)
        {
            p = origin.Clone();
        }
        else
        {
            p = origin?.Clone() ?? new TensorProto();
            ClearData(p);
            if (toExternal)
            {
                var (location, offset, length) = external!.Append(t);
                p.DataLocation = TensorProto.Types.DataLocation.External;
                p.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
                p.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                p.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString() });
            }
            else if (t.ElementType == ElementType.String)
                p.StringData.AddRange(t.GetStrings().Select(ByteString.CopyFrom));
            else
                p.RawData = UnsafeByteOperations.UnsafeWrap(t.GetRawBytes());
        }
        if (!p.Dims.SequenceEqual(t.Dims))
        {
            p.Dims.Clear();
            p.Dims.AddRange(t.Dims);
        }
        ProtoFields.Sync(p.HasDataType, p.DataType, (long)t.ElementType, v => p.DataType = (int)v);
        ProtoFields.Sync(p.HasName, p.Name, t.Name, v => p.Name = v);
        ProtoFields.Sync(p.HasDocString, p.DocString, t.DocString, v => p.DocString = v);
        return p;
    }

    private static void ClearData(TensorProto p)
    {
        p.ClearRawData();
        p.FloatData.Clear();
        p.Int32Data.Clear();
        p.StringData.Clear();
        p.Int64Data.Clear();
        p.DoubleData.Clear();
        p.Uint64Data.Clear();
        p.ExternalData.Clear();
        p.ClearDataLocation();
    }
}
