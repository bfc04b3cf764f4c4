using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;

using Optimizer.Onnx.Serialization;

namespace Optimizer.Runtime.Data;

/// <summary>Reads a single serialized ONNX TensorProto (<c>input_0.pb</c>) into a <see cref="HostTensor"/>.</summary>
public static class PbTensorReader
{
    public static (string Name, HostTensor Tensor) Read(string path)
    {
        var tensor = TensorFile.Read(path);
        var type = (TensorElementType)(int)tensor.ElementType;
        if (!TensorTypes.IsSupported(type))
            throw new InvalidInputException($"{path}: element type {tensor.ElementType} is not supported as sample data");
        try
        {
            return (tensor.Name, HostTensor.FromBytes(type, tensor.Dims.ToArray(), tensor.GetRawBytes().Span));
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            throw new InvalidInputException($"{path}: {e.Message}", e);
        }
    }
}
