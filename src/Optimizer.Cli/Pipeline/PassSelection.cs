using Optimizer.Onnx.Inference;
using Optimizer.Passes.Analysis;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Opset;

namespace Optimizer.Cli.Pipeline;

/// <summary>Which passes <c>optimize MODEL</c> runs, and with what settings, from its options.</summary>
public static class PassSelection
{
    /// <summary>
    /// <c>--passes</c> names exactly the passes; otherwise the default pipeline (without fusion and cleanup under
    /// <c>--no-fuse</c>). <c>--opset</c> and <c>--shapes</c> always take effect: their pass runs first when
    /// <c>--passes</c> leaves it out.
    /// </summary>
    public static IReadOnlyList<IPass> Choose(OptimizeOptions options)
    {
        var passes = options.Passes is { } names ? PassRegistry.Resolve(names).ToList()
            : options.NoFuse ? PassRegistry.WithoutFusion().ToList()
            : PassRegistry.DefaultPipeline().ToList();
        if (options.Opset is not null && !passes.Any(p => p is UpgradeOpset)) passes.Insert(0, new UpgradeOpset());
        if (options.Shapes is not null && !passes.Any(p => p is InferShapes)) passes.Insert(0, new InferShapes());
        return passes;
    }

    public static PassOptions Settings(OptimizeOptions options) => new()
    {
        TargetOpset = options.Opset,
        InputShapes = options.Shapes is null ? null : InputShapes.Parse(options.Shapes),
        Verify = options.Verify,
    };
}
