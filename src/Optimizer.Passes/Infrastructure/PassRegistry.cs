using Optimizer.Onnx.Errors;
using Optimizer.Passes.Analysis;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Folding;
using Optimizer.Passes.Fusion;
using Optimizer.Passes.Opset;

namespace Optimizer.Passes.Infrastructure;

/// <summary>
/// The one hand-written, ordered list of passes: the default pipeline of <c>optimize MODEL</c>. Each ordering
/// constraint is explained next to its entry. No reflection, no discovery: a new pass is one line here.
/// </summary>
public static class PassRegistry
{
    public static IReadOnlyList<IPass> DefaultPipeline() =>
    [
        // Before anything looks for constants: Constant nodes become initializers, so "is it constant?" has one answer.
        new ConstantsToInitializers(),
        // Shapes (with --shapes fixed first) let folding evaluate Shape/Gather chains and the no-op checks compare shapes.
        new InferShapes(),
        // Before the rewrites, so every later pass reads and writes the opset asked for (fusions check it); after
        // inference, because the adapters read element types and ranks.
        new UpgradeOpset(),
        // Identity and Dropout hide producer/consumer pairs from every pattern below; remove them early.
        new EliminateIdentity(),
        new EliminateDropout(),
        // Folding before the no-op checks: folded Reshape targets and Cast types become comparable constants.
        new FoldConstants(),
        new EliminateNoOps(),
        // Exporters repeat the same Shape/Gather computations and constants; merging them shrinks what follows.
        new DeduplicateInitializers(),
        new EliminateCommonSubexpressions(),
        // Reshape targets built from the data's own Shape become constants; the Shape chains then die (dead code).
        new ReshapeTargetFolding(),
        // Fusions read ranks and element types (Gemm, LayerNormalization): refresh them after folding and cleanup.
        new InferShapes(),
        // Before fuse-conv-mul-add, which would otherwise meet hard-swish's "x + 3" after a Conv and decline it.
        new HardSwishFusion(),
        // Conv + Add (bias) must fold before BatchNormalization so Conv→Add→BN (PaddleOCR) reaches Conv→BN.
        new ConvMulAddFusion(),
        new BatchNormIntoConv(),
        new PadIntoConv(),
        // BN into MatMul leaves MatMul→Add, which this turns into Gemm; so after fuse-batchnorm.
        new MatMulAddIntoGemm(),
        new TransposeChainFusion(),
        new SqueezeChainFusion(),
        // After Squeeze/Unsqueeze merging, which can leave Reshape chains.
        new ReshapeChainFusion(),
        // LayerNorm before GELU: both read the same Add/Mul; LayerNorm's tail Add must not be taken by another fusion.
        new LayerNormalizationFusion(),
        new GeluFusion(),
        // What the folds and fusions left unused (old weights, dead Shape chains) goes.
        new EliminateDeadCode(),
        // The written model carries types for every value (value_info), for the passes and tools that read it next...
        new InferShapes(),
        // ...and output types that agree with what the graph computes (an exporter's wrong rank corrected).
        new CorrectOutputTypes(),
        // ...but not the intermediate shapes: with them ONNX Runtime fuses Add+LayerNormalization into its slower
        // SkipLayerNormalization (bert_mini 16 % slower than the input model); it infers the shapes it needs itself.
        new DropIntermediateShapes(),
    ];

    /// <summary>Every pass, for <c>optimize passes</c> and <c>--passes</c> (each name once, in pipeline order).</summary>
    public static IReadOnlyList<IPass> All => DefaultPipeline().DistinctBy(p => p.Name).ToList();

    /// <summary>The default pipeline without fusions and cleanup (<c>--no-fuse</c>): only analysis and the opset upgrade.</summary>
    public static IReadOnlyList<IPass> WithoutFusion() =>
        DefaultPipeline().Where(p => p.Kind is PassKind.Analysis or PassKind.Opset).DistinctBy(p => p.Name).ToList();

    /// <summary>The passes named, in the order given; an unknown name is a user error listing the known ones.</summary>
    public static IReadOnlyList<IPass> Resolve(IEnumerable<string> names)
    {
        var all = All.ToDictionary(p => p.Name, StringComparer.Ordinal);
        return names.Select(n => all.TryGetValue(n, out var p) ? p
            : throw new InvalidInputException($"unknown pass '{n}'; known passes: {string.Join(", ", all.Keys)}")).ToList();
    }
}
