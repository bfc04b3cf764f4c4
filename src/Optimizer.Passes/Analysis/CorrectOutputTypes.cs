using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Analysis;

/// <summary>
/// Replaces a graph output's declared shape where inference proves another rank: an exporter's mistake (ddddocr's CRNN
/// declares [1, seqlen] for a [T, 1, C] result) that ONNX Runtime only warns about, but that makes it refuse output
/// buffers of the real shape and misleads every tool reading the declared type. Only a rank the inference knows and
/// that differs from the declared one is written; a declared shape inference cannot check is kept.
/// </summary>
public sealed class CorrectOutputTypes : IPass
{
    public string Name => "correct-output-types";

    public string Description => "Replaces a graph output's declared shape when inference proves a different rank (an exporter's mistake).";

    public PassKind Kind => PassKind.Analysis;

    public PassResult Run(Model model, PassContext context)
    {
        var stated = model.Graph.Outputs.Distinct()
            .Where(o => o is { TensorType.Shape: not null, IsGraphInput: false, IsInitializer: false } && o.Producer is not null)
            .ToDictionary(o => o, o => o.TensorType!);
        if (stated.Count == 0) return PassResult.FromRewrites(0);
        // inferred without the declared shapes, which inference would otherwise keep (with a diagnostic)
        foreach (var (output, type) in stated) output.Type = new TensorTypeInfo(type.ElementType, null);
        context.RefreshShapes(model);
        var rewrites = 0;
        foreach (var (output, type) in stated)
        {
            if (output.TensorType?.Shape is { } inferred && inferred.Rank != type.Shape!.Rank)
            {
                output.Type = new TensorTypeInfo(type.ElementType, inferred);
                rewrites += context.Step($"graph output '{output.Name}' is declared {type.Shape} but computes {inferred}: declared shape corrected", output.Producer!);
            }
            else
            {
                if (output.TensorType?.Shape is null)
                    context.Decline(output.Producer!, $"inference cannot tell the rank of graph output '{output.Name}': its declared shape {type.Shape} is kept");
                output.Type = type;
            }
        }
        return PassResult.FromRewrites(rewrites);
    }
}
