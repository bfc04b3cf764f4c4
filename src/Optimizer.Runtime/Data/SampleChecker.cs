using Microsoft.ML.OnnxRuntime.Tensors;
using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Checks a sample against the model before it runs: every input present, the element type and shape the model
/// takes, and no NaN or infinity in floating-point inputs. A failure names the file.
/// </summary>
public static class SampleChecker
{
    public static void Check(Sample sample, ModelSignature signature)
    {
        foreach (var spec in signature.Inputs)
        {
            if (!spec.IsTensor)
                throw new InvalidInputException($"{sample.Source}: model input '{spec.Name}' is not a tensor (a sequence, map or optional); only tensor inputs are supported");
            if (!sample.Inputs.TryGetValue(spec.Name, out var tensor))
                throw new InvalidInputException($"{sample.Source}: no data for model input '{spec.Name}' (has: {string.Join(", ", sample.Inputs.Keys)})");
            if (tensor.ElementType != spec.ElementType)
                throw new InvalidInputException($"{sample.Source}: input '{spec.Name}' is {TensorTypes.Name(tensor.ElementType)} but the model takes {spec.Describe()}");
            if (!spec.Accepts(tensor.Shape))
                throw new InvalidInputException($"{sample.Source}: input '{spec.Name}' has shape {tensor.ShapeText} but the model takes {spec.Describe()}");
            if (FirstNonFinite(tensor) is { } index)
                throw new InvalidInputException($"{sample.Source}: input '{spec.Name}' holds NaN or infinity (element {index})");
        }
        var unknown = sample.Inputs.Keys.Where(k => signature.FindInput(k) is null).ToList();
        if (unknown.Count > 0)
            throw new InvalidInputException($"{sample.Source}: '{unknown[0]}' is not an input of the model (inputs: {string.Join(", ", signature.Inputs.Select(i => i.Name))})");
    }

    /// <summary>
    /// Checks that the sample holds every input of a model it was not read for (a validation's candidate, checked against
    /// the baseline's signature), in the element type that model takes, so a mismatch is named before ONNX Runtime refuses it.
    /// </summary>
    public static void CheckInputsOf(Sample sample, ModelSignature signature, string modelName)
    {
        foreach (var spec in signature.Inputs.Where(s => s.IsTensor))
        {
            if (!sample.Inputs.TryGetValue(spec.Name, out var tensor))
                throw new InvalidInputException($"{sample.Source}: no data for input '{spec.Name}' of {modelName} (has: {string.Join(", ", sample.Inputs.Keys)})");
            if (tensor.ElementType != spec.ElementType)
                throw new InvalidInputException($"{sample.Source}: input '{spec.Name}' is {TensorTypes.Name(tensor.ElementType)} but {modelName} takes {spec.Describe()}");
        }
    }

    private static long? FirstNonFinite(HostTensor tensor)
    {
        switch (tensor.ElementType)
        {
            case TensorElementType.Float:
                var floats = tensor.AsSpan<float>();
                for (var i = 0; i < floats.Length; i++) if (!float.IsFinite(floats[i])) return i;
                return null;
            case TensorElementType.Double or TensorElementType.Float16 or TensorElementType.BFloat16:
                for (long i = 0; i < tensor.ElementCount; i++)
                    if (!double.IsFinite(TensorTypes.ReadAsDouble(tensor.Bytes, tensor.ElementType, i))) return i;
                return null;
            default:
                return null;
        }
    }
}
