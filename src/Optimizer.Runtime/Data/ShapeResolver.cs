using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Sessions;

namespace Optimizer.Runtime.Data;

/// <summary>
/// Concrete shapes for a model input: the <c>--shapes</c> entry when given, else the model's dims with a dynamic
/// batch dimension (the first, or the one <see cref="BatchAxes"/> finds) set to the batch size. Any other dynamic
/// dimension needs <c>--shapes</c>.
/// </summary>
public static class ShapeResolver
{
    /// <summary>Refuses <c>--shapes</c> entries for inputs the model does not have (a typo would otherwise be ignored).</summary>
    public static void CheckNames(ModelSignature signature, IReadOnlyDictionary<string, long[]> shapes)
    {
        if (shapes.Keys.FirstOrDefault(name => signature.FindInput(name) is null) is { } unknown)
            throw new InvalidInputException($"--shapes names input '{unknown}', which the model does not have (inputs: {string.Join(", ", signature.Inputs.Select(i => i.Name))})");
    }

    public static long[] Resolve(TensorSpec input, IReadOnlyDictionary<string, long[]> shapes, int batch, int batchAxis = 0)
    {
        if (shapes.TryGetValue(input.Name, out var given))
        {
            if (!input.Accepts(given))
                throw new InvalidInputException($"--shapes {input.Name}:{HostTensor.FormatShape(given)} does not fit the model's input {input.Describe()}");
            var copy = (long[])given.Clone();
            if (batchAxis >= 0 && copy.Length > batchAxis && input.Dims[batchAxis] < 0 && batch != 1) copy[batchAxis] = batch;
            return copy;
        }
        var dims = new long[input.Dims.Length];
        for (var axis = 0; axis < dims.Length; axis++)
        {
            if (input.Dims[axis] >= 0) dims[axis] = input.Dims[axis];
            else if (axis == batchAxis) dims[axis] = batch;
            else
                throw new InvalidInputException(
                    $"input '{input.Name}' ({input.Describe()}) has dynamic dimension '{input.SymbolicName(axis)}' at axis {axis}: give the shape with --shapes {input.Name}:{string.Join("x", input.Dims.Select((d, i) => d >= 0 ? d.ToString() : i == batchAxis ? "1" : $"<{input.SymbolicName(i)}>"))}");
        }
        return dims;
    }
}
