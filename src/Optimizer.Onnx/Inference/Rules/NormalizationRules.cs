using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>BatchNormalization and LayerNormalization (other normalizations keep their input's shape).</summary>
internal static class NormalizationRules
{
    /// <summary>Y like X; the optional running or saved statistics like the mean input ([C]).</summary>
    public static void BatchNormalization(NodeContext c)
    {
        ElementwiseRules.SameAsInput(c);
        for (var i = 1; i < c.OutputCount; i++) c.SetOutput(i, c.InputType(3), c.InputShape(3));
    }

    /// <summary>Y like X; Mean and InvStdDev keep X's dims before the axis and 1 after, of stash_type (float).</summary>
    public static void LayerNormalization(NodeContext c)
    {
        ElementwiseRules.SameAsInput(c);
        var input = c.InputShape(0);
        var stash = (ElementType)c.Int("stash_type", (long)ElementType.Float);
        if (input is null)
        {
            c.SetOutput(1, stash, null);
            c.SetOutput(2, stash, null);
            return;
        }
        var axis = c.Axis(c.Int("axis", -1), input.Length);
        var reduced = input.Select((d, i) => i < axis ? d : SymDim.One).ToArray();
        c.SetOutput(1, stash, reduced);
        c.SetOutput(2, stash, reduced);
    }
}
