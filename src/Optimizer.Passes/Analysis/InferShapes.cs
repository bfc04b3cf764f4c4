using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Analysis;

/// <summary>
/// Runs shape and type inference over every graph and keeps the result in the context (symbolic dims and the
/// values of small shape tensors, for folding and fusions). With <see cref="PassOptions.InputShapes"/> (--shapes),
/// the named inputs' dims are fixed first, so the model becomes static where it can.
/// </summary>
public sealed class InferShapes : IPass
{
    public string Name => "infer-shapes";

    public string Description => "Infers element types and (symbolic) shapes of every value into value_info; --shapes fixes input dims first.";

    public PassKind Kind => PassKind.Analysis;

    public PassResult Run(Model model, PassContext context)
    {
        var fixedDims = 0;
        if (context.Options.InputShapes is { Count: > 0 } shapes && !context.InputShapesApplied)
        {
            ShapeInference.FixInputDims(model, shapes);
            context.InputShapesApplied = true;
            fixedDims = shapes.Count;
        }
        var result = context.RefreshShapes(model);
        foreach (var d in result.Diagnostics) context.Log($"{Name}: {d}");
        context.Log($"{Name}: {result.TypesWritten} types written, {result.Diagnostics.Count} diagnostics");
        // Types in value_info are annotations, not graph changes: the pass reports a change only when --shapes fixed dims.
        return new PassResult(fixedDims > 0, fixedDims);
    }
}
