using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference;

/// <summary>
/// Sets graph inputs' dims to the sizes a user asks for. A symbolic dim fixed on one input is fixed on every other
/// input that names the same symbol, since it is the same size.
/// </summary>
internal static class InputDimFixer
{
    public static void Fix(Model model, IReadOnlyDictionary<string, long[]> shapes)
    {
        var inputs = model.Graph.Inputs.Where(v => !v.IsInitializer).ToList();
        var symbols = new Dictionary<string, long>(StringComparer.Ordinal);
        var fixedInputs = new List<(Value Input, TensorTypeInfo Type, long[] Dims)>();
        foreach (var (name, dims) in shapes)
        {
            var input = inputs.FirstOrDefault(v => v.Name == name)
                ?? throw new InvalidInputException($"--shapes names input '{name}', which the model does not have (inputs: {string.Join(", ", inputs.Select(v => v.Name))})");
            if (input.Type is not TensorTypeInfo type)
                throw new InvalidInputException($"--shapes names input '{name}', which is not a tensor ({input.Type?.ToString() ?? "no type"})");
            if (type.Shape is { } shape)
            {
                if (shape.Rank != dims.Length)
                    throw new InvalidInputException($"--shapes gives input '{name}' {dims.Length} dims, but it has rank {shape.Rank} {shape}");
                for (var i = 0; i < dims.Length; i++)
                {
                    var d = shape[i];
                    if (d.Value is { } v && v != dims[i])
                        throw new InvalidInputException($"--shapes gives input '{name}' size {dims[i]} at dim {i}, but that dim is fixed at {v} {shape}");
                    if (d.Param is { } p && !symbols.TryAdd(p, dims[i]) && symbols[p] != dims[i])
                        throw new InvalidInputException($"--shapes gives dim '{p}' two sizes, {symbols[p]} and {dims[i]} (input '{name}')");
                }
            }
            fixedInputs.Add((input, type, dims));
        }
        foreach (var (input, type, dims) in fixedInputs)
            input.Type = type with { Shape = new Shape(dims.Select((d, i) => Dim.Of(d) with { Denotation = type.Shape?[i].Denotation })) };
        foreach (var input in inputs.Except(fixedInputs.Select(f => f.Input)))
            if (input.Type is TensorTypeInfo { Shape: { } shape } type && shape.Dims.Any(d => d.Param is { } p && symbols.ContainsKey(p)))
                input.Type = type with { Shape = new Shape(shape.Dims.Select(d => d.Param is { } p && symbols.TryGetValue(p, out var v) ? Dim.Of(v) with { Denotation = d.Denotation } : d)) };
    }
}
