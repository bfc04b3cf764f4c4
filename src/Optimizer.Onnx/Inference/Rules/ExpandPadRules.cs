using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Operators that grow a tensor: Expand, Tile, Pad.</summary>
internal static class ExpandPadRules
{
    /// <summary>Expand: the input broadcast with the target shape's elements.</summary>
    public static void Expand(NodeContext c)
    {
        var type = c.InputType(0);
        var target = c.InputValue(1)?.Select(DimMath.AsSize).ToArray();
        if (target is null && c.InputShape(1) is [{ ConstantValue: { } n }]) target = new SymDim?[n];
        c.SetOutput(0, type, target is null ? null : Broadcasting.Shapes([c.InputShape(0) is { } s ? DimMath.Open(s) : null, target]));
    }

    /// <summary>Tile: each dim times its repeat count.</summary>
    public static void Tile(NodeContext c)
    {
        var input = c.InputShape(0);
        var repeats = c.InputValue(1);
        if (input is null)
        {
            c.SetOutput(0, c.InputType(0), c.InputShape(1) is [{ ConstantValue: { } n }] ? new SymDim?[n] : null);
            return;
        }
        if (repeats is not null && repeats.Length != input.Length) throw c.Fail($"{repeats.Length} repeats for rank {input.Length}");
        c.SetOutput(0, c.InputType(0), input.Select((d, i) => repeats is null ? null : d * DimMath.AsSize(repeats[i])).ToArray());
    }

    /// <summary>Pad: each dim plus its pads (attribute before opset 11, input after; <c>axes</c> since opset 18).</summary>
    public static void Pad(NodeContext c)
    {
        var input = c.InputShape(0);
        var pads = c.Opset >= 11 ? c.InputValue(1) : (c.Ints("pads") ?? c.Ints("paddings"))?.Select(SymDim.Const).ToArray();
        if (input is null || pads is null)
        {
            c.SetOutput(0, c.InputType(0), input is null ? null : new SymDim?[input.Length]);
            return;
        }
        var axes = c.Opset >= 18 && c.HasInput(3)
            ? c.InputInts(3)?.Select(a => c.Axis(a, input.Length)).ToArray()
            : Enumerable.Range(0, input.Length).ToArray();
        if (axes is null)
        {
            c.SetOutput(0, c.InputType(0), new SymDim?[input.Length]);
            return;
        }
        if (pads.Length != 2 * axes.Length) throw c.Fail($"{pads.Length} pads for {axes.Length} axes");
        var output = DimMath.Open(input);
        for (var k = 0; k < axes.Length; k++)
        {
            var padded = input[axes[k]] + pads[k] + pads[k + axes.Length];
            output[axes[k]] = padded?.ConstantValue is < 0 ? throw c.Fail($"padding makes dim {axes[k]} negative") : DimMath.AsSize(padded);
        }
        c.SetOutput(0, c.InputType(0), output);
    }
}
