using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Inference.Rules;

/// <summary>LSTM, GRU and RNN.</summary>
internal static class RecurrentRules
{
    /// <summary>
    /// X is [seq, batch, input] (layout 0) or [batch, seq, input] (layout 1, opset 14). Y is [seq, dirs, batch, hidden]
    /// or [batch, seq, dirs, hidden]; Y_h (and LSTM's Y_c) [dirs, batch, hidden] or [batch, dirs, hidden].
    /// </summary>
    public static void Recurrent(NodeContext c)
    {
        var type = c.InputType(0);
        var x = c.InputShape(0);
        if (x is not null && x.Length != 3) throw c.Fail($"X must be 3-D, is rank {x.Length}");
        var batchFirst = c.Int("layout", 0) != 0;
        var seq = x?[batchFirst ? 1 : 0];
        var batch = x?[batchFirst ? 0 : 1];
        var dirs = SymDim.Const(c.String("direction", "forward") == "bidirectional" ? 2 : 1);
        var hidden = c.Node.HasAttribute("hidden_size") ? SymDim.Const(c.Int("hidden_size", 0)) : c.InputShape(2)?[2];
        c.SetOutput(0, type, batchFirst ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden]);
        SymDim?[] state = batchFirst ? [batch, dirs, hidden] : [dirs, batch, hidden];
        for (var i = 1; i < c.OutputCount; i++) c.SetOutput(i, type, state);
    }
}
