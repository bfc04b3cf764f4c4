using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Precision;

/// <summary>
/// Opset 22 is where ONNX's schemas admit bfloat16 for Conv, ConvTranspose, the pools, LSTM/GRU/RNN, the trigonometric
/// and most activation ops; every change from 21 to 22 is such a type-only addition (no attribute or semantics
/// changed), so a model at opset 21 is raised by its import alone (and IR version 10, which opset 22 needs). Below 21
/// the opset upgrade must run first (<c>--quantize bf16</c> asks for 21); this pass then declines and the bfloat16
/// conversion leaves the model as it is.
/// </summary>
public sealed class BFloat16Opset : IPass
{
    public const long Required = 22;

    /// <summary>The opset the general upgrade must reach first: the last one it adapts.</summary>
    public const long UpgradeTarget = Required - 1;

    public string Name => "bfloat16-opset";

    public string Description => "Raises a model at opset 21 to 22 (type-only changes), where ONNX admits bfloat16 for Conv and most ops.";

    public PassKind Kind => PassKind.Opset;

    public PassResult Run(Model model, PassContext context)
    {
        var opset = Patterns.Opset(model);
        if (opset >= Required) return PassResult.Unchanged;
        if (opset < UpgradeTarget)
        {
            context.Decline("(model)", $"opset {opset}: bfloat16 needs opset {Required}; upgrade to {UpgradeTarget} first (--opset {UpgradeTarget})");
            return PassResult.Unchanged;
        }
        model.SetOpset("", Required);
        if (model.IrVersion < 10) model.IrVersion = 10;
        context.Log($"{Name}: opset {opset} -> {Required}");
        return new PassResult(true, 1);
    }
}
