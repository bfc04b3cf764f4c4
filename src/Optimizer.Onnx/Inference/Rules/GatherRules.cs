using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>Gather, GatherElements, GatherND.</summary>
internal static class GatherRules
{
    /// <summary>Gather: data dims before the axis, the indices' dims, data dims after. Picks shape elements too.</summary>
    public static void Gather(NodeContext c)
    {
        var data = c.InputShape(0);
        var indices = c.InputShape(1);
        if (data is null || indices is null)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }
        var axis = c.Axis(c.Int("axis", 0), data.Length);
        var output = data.Take(axis).Concat(indices).Concat(data.Skip(axis + 1)).Select(d => (SymDim?)d).ToArray();
        c.SetOutput(0, c.InputType(0), output);
        if (data.Length == 1 && indices.Length <= 1 && c.InputValue(0) is { } values && c.InputInts(1) is { } picks)
        {
            var n = values.Length;
            if (picks.Any(i => i < -n || i >= n)) throw c.Fail($"index out of range for {n} elements");
            c.SetOutputValue(0, picks.Select(i => values[i < 0 ? i + n : i]).ToArray());
        }
    }

    /// <summary>GatherElements: the indices' shape.</summary>
    public static void GatherElements(NodeContext c) => c.SetOutput(0, c.InputType(0), c.InputShape(1));

    /// <summary>GatherND: indices dims but the last, then the data dims after the batch dims and the indexed ones.</summary>
    public static void GatherND(NodeContext c)
    {
        var data = c.InputShape(0);
        var indices = c.InputShape(1);
        var batch = (int)c.Int("batch_dims", 0);
        if (data is null || indices is null || indices.Length == 0 || indices[^1].ConstantValue is not { } last)
        {
            c.SetOutput(0, c.InputType(0), null);
            return;
        }
        if (batch + last > data.Length) throw c.Fail($"indices address {batch + last} dims of a rank-{data.Length} tensor");
        c.SetOutput(0, c.InputType(0), indices.Take(indices.Length - 1).Concat(data.Skip(batch + (int)last)).Select(d => (SymDim?)d).ToArray());
    }
}
