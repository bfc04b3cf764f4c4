using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>MaxPool, AveragePool, LpPool and the global pools.</summary>
internal static class PoolingRules
{
    /// <summary>[N, C, out...] over the kernel's window (ceil_mode, dilations, auto_pad); MaxPool's indices are int64.</summary>
    public static void Pool(NodeContext c)
    {
        var input = c.InputShape(0);
        if (input is null || input.Length < 3)
        {
            c.SetOutput(0, c.InputType(0), null);
            c.SetOutput(1, ElementType.Int64, null);
            return;
        }
        var spatial = input.Length - 2;
        var geometry = WindowGeometry.Read(c, spatial, null);
        var ceil = c.Int("ceil_mode", 0) != 0;
        var output = new SymDim?[input.Length];
        output[0] = input[0];
        output[1] = input[1];
        for (var i = 0; i < spatial; i++) output[i + 2] = geometry?.Output(input[i + 2], i, ceil);
        c.SetOutput(0, c.InputType(0), output);
        c.SetOutput(1, ElementType.Int64, output);
    }

    /// <summary>GlobalAveragePool, GlobalMaxPool, GlobalLpPool: [N, C, 1, ...].</summary>
    public static void GlobalPool(NodeContext c)
    {
        var input = c.InputShape(0);
        c.SetOutput(0, c.InputType(0), input?.Select((d, i) => i < 2 ? d : SymDim.One).ToArray());
    }
}
