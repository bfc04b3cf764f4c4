using Optimizer.Onnx.IR;
using Optimizer.TestKit;
using static Optimizer.Onnx.Tests.Inference.InferenceTestHelpers;

namespace Optimizer.Onnx.Tests.Inference;

/// <summary>The headline cases: symbolic dims through convolutions, matmuls and a computed Reshape target.</summary>
public class OperatorShapeTests
{
    [Fact]
    public void Conv_with_stride_2_halves_static_dims_and_keeps_the_batch_symbol()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "batch", 3, 224, 224);
        var w = b.RandomInitializer("w", 0.1f, 16, 3, 3, 3);
        var y = b.Op("Conv", [x, w], ("strides", new[] { 2, 2 }), ("pads", new[] { 1, 1, 1, 1 }));
        b.Output(y);
        Infer(b);
        Assert.Equal("f32[batch,16,112,112]", TypeOf(y));
    }

    [Fact]
    public void Conv_on_symbolic_spatial_dims_gives_floor_division_expressions()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "N", 3, "H", "W");
        var w = b.RandomInitializer("w", 0.1f, 8, 3, 3, 3);
        var y = b.Op("Conv", [x, w], ("strides", new[] { 2, 2 }), ("pads", new[] { 1, 1, 1, 1 }));
        var z = b.Op("Conv", [y, b.RandomInitializer("w2", 0.1f, 8, 8, 3, 3)], ("strides", new[] { 2, 2 }), ("pads", new[] { 1, 1, 1, 1 }));
        b.Output(z);
        Infer(b);
        Assert.Equal("f32[N,8,(H+1)//2,(W+1)//2]", TypeOf(y));
        Assert.Equal("f32[N,8,(H+3)//4,(W+3)//4]", TypeOf(z));
    }

    [Fact]
    public void MatMul_keeps_batch_and_sequence_and_takes_the_weight_columns()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "batch", "seq", 256);
        var y = b.Op("MatMul", [x, b.RandomInitializer("w", 0.1f, 256, 1024)]);
        b.Output(y);
        Infer(b);
        Assert.Equal("f32[batch,seq,1024]", TypeOf(y));
    }

    [Fact]
    public void Reshape_target_computed_by_Shape_Gather_Concat_gives_the_symbolic_dims()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "batch", "seq", 256);
        var shape = b.Op("Shape", [x]);
        var batch = b.Op("Unsqueeze", [b.Op("Gather", [shape, Scalar(b, 0)], ("axis", 0)), Ints(b, 0)]);
        var seq = b.Op("Unsqueeze", [b.Op("Gather", [shape, Scalar(b, 1)], ("axis", 0)), Ints(b, 0)]);
        var target = b.Op("Concat", [batch, seq, Ints(b, 4, 64)], ("axis", 0));
        var y = b.Op("Reshape", [x, target]);
        b.Output(y);
        var result = Infer(b);
        Assert.Equal("f32[batch,seq,4,64]", TypeOf(y));
        Assert.True(result.TryGetSymbolicValue(target, out var elements));
        Assert.Equal(["batch", "seq", "4", "64"], elements.Select(e => e.ToString()));
        Assert.True(result.TryGetShape(x, out var input));
        // What constant folding checks: which target positions equal the input's dims there.
        Assert.Equal([true, true, false, false], elements.Select((e, i) => i < input.Count && e.Equals(input[i])));
    }

    [Fact]
    public void Concat_of_symbolic_dims_adds_them_and_Transpose_moves_them()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "batch", "seq", 64);
        var both = b.Op("Concat", [x, x], ("axis", 1));
        var t = b.Op("Transpose", [both], ("perm", new[] { 1, 0, 2 }));
        var flat = b.Op("Reshape", [t, Ints(b, -1, 64)]);
        b.Output(flat);
        Infer(b);
        Assert.Equal("f32[batch,seq*2,64]", TypeOf(both));
        Assert.Equal("f32[seq*2,batch,64]", TypeOf(t));
        Assert.Equal("f32[batch*seq*2,64]", TypeOf(flat));
    }
}
