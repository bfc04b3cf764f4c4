using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.Protobuf;

namespace Optimizer.Runtime.Data;

/// <summary>Reads a single serialized ONNX TensorProto (<c>input_0.pb</c>) into a <see cref="HostTensor"/>.</summary>
public static class PbTensorReader
{
    public static (string Name, HostTensor Tensor) Read(string path)
    {
        TensorProto proto;
        try
        {
            using var stream = File.OpenRead(path);
            proto = TensorProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidInputException($"{path}: not a valid ONNX TensorProto: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new InvalidInputException($"{path}: cannot read: {e.Message}", e);
        }
        var type = (TensorElementType)proto.DataType;
        if (!TensorTypes.IsSupported(type))
            throw new InvalidInputException($"{path}: element type {type} is not supported");
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
            throw new InvalidInputException($"{path}: tensors with external data are not supported as samples");
        var shape = proto.Dims.ToArray();
        var tensor = HostTensor.Allocate(type, shape);
        if (!proto.RawData.IsEmpty)
        {
            if (proto.RawData.Length != tensor.Bytes.Length)
                throw new InvalidInputException($"{path}: raw data holds {proto.RawData.Length} bytes, {TensorTypes.Name(type)}[{tensor.ShapeText}] needs {tensor.Bytes.Length}");
            proto.RawData.Span.CopyTo(tensor.Bytes);
        }
        else
            CopyTypedFields(proto, tensor, path);
        return (proto.Name, tensor);
    }

    private static void CopyTypedFields(TensorProto proto, HostTensor tensor, string path)
    {
        var n = (int)tensor.ElementCount;
        var source = tensor.ElementType switch
        {
            TensorElementType.Float => proto.FloatData.Count,
            TensorElementType.Double => proto.DoubleData.Count,
            TensorElementType.Int64 => proto.Int64Data.Count,
            TensorElementType.UInt32 or TensorElementType.UInt64 => proto.Uint64Data.Count,
            _ => proto.Int32Data.Count,
        };
        if (source != n)
            throw new InvalidInputException($"{path}: holds {source} values, {TensorTypes.Name(tensor.ElementType)}[{tensor.ShapeText}] needs {n}");
        switch (tensor.ElementType)
        {
            case TensorElementType.Float: CopyInto(proto.FloatData, tensor.AsSpan<float>()); break;
            case TensorElementType.Double: CopyInto(proto.DoubleData, tensor.AsSpan<double>()); break;
            case TensorElementType.Int64: CopyInto(proto.Int64Data, tensor.AsSpan<long>()); break;
            case TensorElementType.UInt64: CopyInto(proto.Uint64Data, tensor.AsSpan<ulong>()); break;
            case TensorElementType.UInt32:
                for (var i = 0; i < n; i++) tensor.AsSpan<uint>()[i] = (uint)proto.Uint64Data[i];
                break;
            default:
                // int32_data carries the narrower integer types, bool, and the bits of float16/bfloat16.
                var size = TensorTypes.SizeOf(tensor.ElementType);
                for (var i = 0; i < n; i++)
                {
                    var v = proto.Int32Data[i];
                    MemoryMarshal.AsBytes(new ReadOnlySpan<int>(ref v))[..size].CopyTo(tensor.Bytes.AsSpan(i * size));
                }
                break;
        }
    }

    private static void CopyInto<T>(IList<T> values, Span<T> destination)
    {
        for (var i = 0; i < values.Count; i++) destination[i] = values[i];
    }
}
