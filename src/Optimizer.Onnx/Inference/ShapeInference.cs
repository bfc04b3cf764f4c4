using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference;

/// <summary>
/// Shape and type inference: the element type and shape of every node output of the main graph and its subgraphs,
/// with symbolic dims carried through arithmetic (<c>batch</c>, <c>seq*4</c>, <c>(H+1)//2</c>), written into the
/// values' types (so into value_info). Where it is unsure it writes unknown dims or an unknown rank, never a guess;
/// operators it does not know keep the types the model states. Small integer tensors that hold shapes are also
/// tracked element by element (<see cref="ShapeInferenceResult.TryGetSymbolicValue"/>), which is how a Reshape
/// target computed by Shape→Gather→Concat gets its dims.
/// </summary>
public static class ShapeInference
{
    public static ShapeInferenceResult Run(Model model, ShapeInferenceOptions? options = null)
    {
        var state = new InferenceState(model, options ?? new ShapeInferenceOptions());
        state.InferGraph(model.Graph, Opsets(model.OpsetImports));
        return new ShapeInferenceResult(state);
    }

    /// <summary>
    /// Fixes the dims of the named graph inputs (the <c>--shapes</c> option), so that inference afterwards makes the
    /// model static where it can. Throws <see cref="Errors.InvalidInputException"/> for an unknown input name, a rank
    /// that differs from the input's, or a size that contradicts one of its static dims.
    /// </summary>
    public static void FixInputDims(Model model, IReadOnlyDictionary<string, long[]> shapes) => InputDimFixer.Fix(model, shapes);

    internal static Dictionary<string, long> Opsets(IEnumerable<OpsetImport> imports)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var o in imports) result[o.Domain == "ai.onnx" ? "" : o.Domain] = o.Version;
        return result;
    }
}
