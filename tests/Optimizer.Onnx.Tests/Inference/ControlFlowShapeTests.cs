using Optimizer.Onnx.IR;
using Optimizer.TestKit;
using static Optimizer.Onnx.Tests.Inference.InferenceTestHelpers;

namespace Optimizer.Onnx.Tests.Inference;

public class ControlFlowShapeTests
{
    [Fact]
    public void If_output_keeps_what_both_branches_agree_on_and_branch_values_get_types()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "N", 8);
        var cond = b.Input("cond", ElementType.Bool);
        var then = new Graph("then");
        var t = b.NodeIn(then, "Relu", [x], 1, []).Output();
        then.AddOutput(b.NodeIn(then, "Reshape", [t, Ints(b, 0, 2, 4)], 1, []).Output());
        var otherwise = new Graph("else");
        otherwise.AddOutput(b.NodeIn(otherwise, "Reshape", [x, Ints(b, 0, 4, 2)], 1, []).Output());
        var y = b.Op("If", [cond], ("then_branch", then), ("else_branch", otherwise));
        b.Output(y);
        Infer(b);
        Assert.Equal("f32[N,8]", TypeOf(t));
        Assert.Equal("f32[N,?,?]", TypeOf(y));
    }

    [Fact]
    public void Loop_carried_value_that_grows_gets_an_unknown_dim_and_scan_outputs_a_trip_count()
    {
        var b = new GraphBuilder();
        var init = b.Input("init", ElementType.Float, 1, 4);
        var body = new Graph("body");
        body.AddInput("i", null);
        var condIn = body.AddInput("cond_in", null);
        var carried = body.AddInput("acc", null);
        var grown = b.NodeIn(body, "Concat", [carried, carried], 1, [("axis", 0)]).Output();
        var row = b.NodeIn(body, "ReduceMax", [carried], 1, [("axes", new[] { 0 }), ("keepdims", 0)]).Output();
        body.AddOutput(b.NodeIn(body, "Identity", [condIn], 1, []).Output());
        body.AddOutput(grown);
        body.AddOutput(row);
        var loop = b.Node("Loop", [Scalar(b, 3), null, init], 2, ("body", body));
        b.Output(loop.Output(0), loop.Output(1));
        Infer(b);
        Assert.Equal("f32[?,4]", TypeOf(carried));
        Assert.Equal("bool[]", TypeOf(condIn));
        Assert.Equal("f32[?,4]", TypeOf(loop.Output(0)));
        Assert.Equal("f32[3,4]", TypeOf(loop.Output(1)));
    }

    [Fact]
    public void Scan_slices_inputs_and_stacks_outputs_along_the_sequence()
    {
        var b = new GraphBuilder();
        var state = b.Input("state", ElementType.Float, 4);
        var xs = b.Input("xs", ElementType.Float, "T", 4);
        var body = new Graph("body");
        var s = body.AddInput("s", null);
        var x = body.AddInput("x", null);
        var sum = b.NodeIn(body, "Add", [s, x], 1, []).Output();
        body.AddOutput(sum);
        body.AddOutput(b.NodeIn(body, "Identity", [sum], 1, []).Output());
        var scan = b.Node("Scan", [state, xs], 2, ("body", body), ("num_scan_inputs", 1));
        Infer(b);
        Assert.Equal("f32[4]", TypeOf(x));
        Assert.Equal("f32[4]", TypeOf(scan.Output(0)));
        Assert.Equal("f32[T,4]", TypeOf(scan.Output(1)));
    }

    [Fact]
    public void LSTM_outputs_in_both_layouts()
    {
        var b = new GraphBuilder(opset: 14);
        var x = b.Input("x", ElementType.Float, "T", "B", 16);
        var w = b.RandomInitializer("w", 0.1f, 2, 128, 16);
        var r = b.RandomInitializer("r", 0.1f, 2, 128, 32);
        var lstm = b.Node("LSTM", [x, w, r], 3, ("hidden_size", 32), ("direction", "bidirectional"));
        var gru = b.Node("GRU", [b.Input("xb", ElementType.Float, "B", "T", 16), b.RandomInitializer("gw", 0.1f, 1, 96, 16), b.RandomInitializer("gr", 0.1f, 1, 96, 32)],
            2, ("hidden_size", 32), ("layout", 1));
        Infer(b);
        Assert.Equal("f32[T,2,B,32]", TypeOf(lstm.Output(0)));
        Assert.Equal("f32[2,B,32]", TypeOf(lstm.Output(1)));
        Assert.Equal("f32[2,B,32]", TypeOf(lstm.Output(2)));
        Assert.Equal("f32[B,T,1,32]", TypeOf(gru.Output(0)));
        Assert.Equal("f32[B,1,32]", TypeOf(gru.Output(1)));
    }

    [Fact]
    public void Quantize_and_dequantize_per_tensor_and_per_axis()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, "N", 8);
        var q = b.Op("QuantizeLinear", [x, b.Initializer("s", new[] { 0.1f }, []), b.Initializer("z", new sbyte[] { 0 }, [])]);
        var d = b.Op("DequantizeLinear", [q, b.Initializer("s8", new float[8], 8), b.Initializer("z8", new sbyte[8], 8)], ("axis", 1));
        var mm = b.Op("MatMulInteger", [b.Input("a", ElementType.UInt8, "N", 8), b.Initializer("bw", new byte[32], 8, 4)]);
        Infer(b);
        Assert.Equal("i8[N,8]", TypeOf(q));
        Assert.Equal("f32[N,8]", TypeOf(d));
        Assert.Equal("i32[N,4]", TypeOf(mm));
    }
}
