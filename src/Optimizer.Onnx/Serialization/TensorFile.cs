using Google.Protobuf;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IO;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;

namespace Optimizer.Onnx.Serialization;

/// <summary>Single serialized TensorProto files, as in ONNX's test_data_set_N/input_K.pb folders.</summary>
public static class TensorFile
{
    public static Tensor Read(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"tensor file '{path}' does not exist");
        try
        {
            using var stream = File.OpenRead(path);
            var proto = TensorProto.Parser.ParseFrom(stream);
            return TensorCodec.Import(proto, Path.GetDirectoryName(Path.GetFullPath(path)));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidInputException($"'{path}' is not a valid ONNX tensor file: {e.Message.Split('\n')[0]}", e);
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"{path}: {e.Message}", e);
        }
        catch (Exception e) when (e is OverflowException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            // The bytes parse as some protobuf message but not as a tensor: test_data_set folders also hold
            // SequenceProto, MapProto and OptionalProto files, whose fields read as nonsense dims and types.
            throw new InvalidInputException($"'{path}' is not an ONNX tensor (a sequence, map or optional value, or a corrupt file): {e.Message}", e);
        }
    }

    public static void Write(Tensor tensor, string path)
    {
        var bytes = TensorCodec.Export(tensor, null).ToByteArray();
        AtomicFile.Write(path, s => s.Write(bytes));
    }
}
