using Optimizer.Onnx.IR;

namespace Optimizer.Passes.Infrastructure;

/// <summary>What a pass does, which decides whether <c>--no-fuse</c> skips it.</summary>
public enum PassKind
{
    /// <summary>Computes facts (shapes, types) other passes rely on; changes no node.</summary>
    Analysis,
    /// <summary>Changes the operator set version the model is written for.</summary>
    Opset,
    /// <summary>Removes what does nothing: identities, dead code, duplicates.</summary>
    Cleanup,
    /// <summary>Replaces computations on constants by their results.</summary>
    Folding,
    /// <summary>Replaces a group of nodes by fewer, equivalent ones.</summary>
    Fusion,
    /// <summary>Lowers precision (int8 weights and activations): changes the model's numbers within a tolerance.</summary>
    Quantization,
    /// <summary>Removes weights or whole channels: changes the model's numbers, by as much as the user asks.</summary>
    Pruning,
}

/// <summary>
/// One transform of the model. Everything a pass needs comes in through <see cref="PassContext"/>, so adding a
/// dependency changes no pass's signature. A pass announces every mutation through the context
/// (<see cref="PassContext.Step"/>) and, where it could have rewritten but chose not to, says why
/// (<see cref="PassContext.Decline"/>).
/// </summary>
public interface IPass
{
    /// <summary>The name <c>--passes</c> and the report use (kebab-case).</summary>
    string Name { get; }

    /// <summary>One line for <c>optimize passes</c>.</summary>
    string Description { get; }

    PassKind Kind { get; }

    /// <summary>Whether the runner repeats the pass until it changes nothing (one rewrite may enable another).</summary>
    bool RepeatToFixedPoint => false;

    /// <summary>Transforms <paramref name="model"/> in place and says whether anything changed.</summary>
    PassResult Run(Model model, PassContext context);
}
