using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Inputs made up from the model's signature when no data is given: floats from a standard normal distribution,
/// integers in {0, 1} (valid indices and masks for most models), booleans at random. Seeded, so runs repeat.
/// </summary>
public static class RandomInputs
{
    public static Sample Create(ModelSignature signature, IReadOnlyDictionary<string, long[]> shapes, int batch, Random random, string id)
    {
        ShapeResolver.CheckNames(signature, shapes);
        var inputs = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        var batchAxes = BatchAxes.Of(signature);
        foreach (var spec in signature.Inputs)
        {
            if (!spec.IsTensor || !TensorTypes.IsSupported(spec.ElementType))
                throw new InvalidInputException($"input '{spec.Name}' is not a numeric tensor; random inputs cannot be made for it, give --data");
            var shape = ShapeResolver.Resolve(spec, shapes, batch, batchAxes[spec.Name].Axis);
            HostTensor tensor;
            try { tensor = HostTensor.Allocate(spec.ElementType, shape); }
            catch (OverflowException)
            {
                throw new InvalidInputException($"input '{spec.Name}' of shape {HostTensor.FormatShape(shape)} ({TensorTypes.Name(spec.ElementType)}) is too large for one tensor (2 GiB at most): give smaller --shapes or --batch");
            }
            Fill(tensor, random);
            inputs[spec.Name] = tensor;
        }
        return new Sample(id, "random", inputs);
    }

    private static void Fill(HostTensor tensor, Random random)
    {
        switch (tensor.ElementType)
        {
            case TensorElementType.Float:
                foreach (ref var v in tensor.AsSpan<float>()) v = (float)Normal(random);
                break;
            case TensorElementType.Double:
                foreach (ref var v in tensor.AsSpan<double>()) v = Normal(random);
                break;
            case TensorElementType.Float16:
                foreach (ref var v in tensor.AsSpan<Half>()) v = (Half)Normal(random);
                break;
            case TensorElementType.BFloat16:
                foreach (ref var v in tensor.AsSpan<ushort>()) v = (ushort)(BitConverter.SingleToInt32Bits((float)Normal(random)) >> 16);
                break;
            default:
                var size = TensorTypes.SizeOf(tensor.ElementType);
                var bytes = tensor.Bytes;
                for (var i = 0; i < bytes.Length; i += size) bytes[i] = (byte)random.Next(2);
                break;
        }
    }

    private static double Normal(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
