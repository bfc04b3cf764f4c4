using Optimizer.Onnx.IR;
using Optimizer.TestKit;
using static Optimizer.Onnx.Tests.Inference.InferenceTestHelpers;

namespace Optimizer.Onnx.Tests.Inference;

public class TensorManipulationShapeTests
{
    [Fact]
    public void Squeeze_and_Unsqueeze_read_axes_from_the_attribute_before_opset_13_and_from_the_input_after()
    {
        var old = new GraphBuilder(opset: 11);
        var x = old.Input("x", ElementType.Float, "N", 1, 5);
        var squeezed = old.Op("Squeeze", [x], ("axes", new[] { 1 }));
        var unsqueezed = old.Op("Unsqueeze", [squeezed], ("axes", new[] { 0, -1 }));
        Infer(old);
        Assert.Equal("f32[N,5]", TypeOf(squeezed));
        Assert.Equal("f32[1,N,5,1]", TypeOf(unsqueezed));

        var current = new GraphBuilder(opset: 13);
        var y = current.Input("y", ElementType.Float, "N", 1, 5);
        var s = current.Op("Squeeze", [y, Ints(current, 1)]);
        var u = current.Op("Unsqueeze", [s, Ints(current, 0, -1)]);
        Infer(current);
        Assert.Equal("f32[N,5]", TypeOf(s));
        Assert.Equal("f32[1,N,5,1]", TypeOf(u));
    }

    [Fact]
    public void Squeeze_without_axes_needs_static_dims()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, 1, "N", 1);
        var y = b.Input("y", ElementType.Float, 1, 3, 1);
        var unknown = b.Op("Squeeze", [x]);
        var known = b.Op("Squeeze", [y]);
        Infer(b);
        Assert.Equal("f32[...]", TypeOf(unknown));
        Assert.Equal("f32[3]", TypeOf(known));
    }

    [Theory]
    [InlineData(11, "f32[N,2,4]", "f32[N,4,4]")]
    [InlineData(13, "f32[N,2,4]", "f32[N,4,4]")]
    public void Split_sizes_by_opset(int opset, string first, string second)
    {
        var b = new GraphBuilder(opset: opset);
        var x = b.Input("x", ElementType.Float, "N", 6, 4);
        var node = opset < 13
            ? b.Node("Split", [x], 2, ("axis", 1), ("split", new[] { 2, 4 }))
            : b.Node("Split", [x, Ints(b, 2, 4)], 2, ("axis", 1));
        Infer(b);
        Assert.Equal(first, TypeOf(node.Output(0)));
        Assert.Equal(second, TypeOf(node.Output(1)));
    }

    [Fact]
    public void Split_into_equal_parts_and_opset_18_num_outputs_with_a_smaller_last_part()
    {
        var b = new GraphBuilder(opset: 18);
        var x = b.Input("x", ElementType.Float, "S", 7);
        var even = b.Node("Split", [x], 3);
        var uneven = b.Node("Split", [x], 3, ("axis", 1), ("num_outputs", 3));
        Infer(b);
        Assert.Equal("f32[S//3,7]", TypeOf(even.Output(0)));
        Assert.Equal(["f32[S,3]", "f32[S,3]", "f32[S,1]"], uneven.Outputs.Select(o => TypeOf(o!)));
    }

    [Fact]
    public void Slice_clamps_static_bounds_and_keeps_symbolic_dims_it_can_tell()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, "N", 10, "S");
        var big = long.MaxValue;
        var a = b.Op("Slice", [x, Ints(b, 2, 0), Ints(b, big, big), Ints(b, 1, 2)]);
        var neg = b.Op("Slice", [x, Ints(b, -3), Ints(b, -1), Ints(b, 1)]);
        var step = b.Op("Slice", [x, Ints(b, 9), Ints(b, -big), Ints(b, 1), Ints(b, -3)]);
        var head = b.Op("Slice", [x, Ints(b, 0), Ints(b, 4), Ints(b, 2)]);
        b.Output(a, neg, step, head);
        Infer(b);
        Assert.Equal("f32[N,8,S]", TypeOf(a));
        Assert.Equal("f32[N,2,S]", TypeOf(neg));
        Assert.Equal("f32[N,4,S]", TypeOf(step));
        Assert.Equal("f32[N,10,?]", TypeOf(head)); // S may be shorter than 4
    }

    [Fact]
    public void Slice_before_opset_10_reads_attributes()
    {
        var b = new GraphBuilder(opset: 9);
        var x = b.Input("x", ElementType.Float, 4, 10);
        var y = b.Op("Slice", [x], ("starts", new[] { 1 }), ("ends", new[] { 100 }), ("axes", new[] { 1 }));
        Infer(b);
        Assert.Equal("f32[4,9]", TypeOf(y));
    }

    [Fact]
    public void Gather_Flatten_Expand_Tile_and_Pad()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, "N", 3, 8);
        var idx = b.Input("idx", ElementType.Int64, "K", 2);
        var gathered = b.Op("Gather", [x, idx], ("axis", 1));
        var flat = b.Op("Flatten", [x], ("axis", 2));
        var expanded = b.Op("Expand", [b.Input("one", ElementType.Float, 3, 1), Ints(b, 2, 1, 5)]);
        var tiled = b.Op("Tile", [x, Ints(b, 2, 1, 3)]);
        var padded = b.Op("Pad", [x, Ints(b, 0, 1, 2, 0, 1, 2)]);
        Infer(b);
        Assert.Equal("f32[N,K,2,8]", TypeOf(gathered));
        Assert.Equal("f32[N*3,8]", TypeOf(flat));
        Assert.Equal("f32[2,3,5]", TypeOf(expanded));
        Assert.Equal("f32[N*2,3,24]", TypeOf(tiled));
        Assert.Equal("f32[N,5,12]", TypeOf(padded));
    }

    [Fact]
    public void Resize_by_scales_and_by_computed_sizes()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, "N", 3, "H", 10);
        var scales = b.Constant(Tensor.FromArray("s", new[] { 1f, 1f, 2f, 0.5f }, 4));
        var byScale = b.Op("Resize", [x, null, scales]);
        var sizes = b.Op("Concat", [b.Op("Slice", [b.Op("Shape", [x]), Ints(b, 0), Ints(b, 2)]), Ints(b, 7, 9)], ("axis", 0));
        var bySize = b.Op("Resize", [x, null, null, sizes]);
        Infer(b);
        Assert.Equal("f32[N,3,H*2,5]", TypeOf(byScale));
        Assert.Equal("f32[N,3,7,9]", TypeOf(bySize));
    }

    [Fact]
    public void Reshape_with_zero_copies_and_minus_one_infers_and_allowzero_keeps_zero()
    {
        var b = new GraphBuilder(opset: 14);
        var x = b.Input("x", ElementType.Float, "batch", "seq", 256);
        var y = b.Op("Reshape", [x, Ints(b, 0, 0, 4, -1)]);
        var z = b.Op("Reshape", [b.Input("e", ElementType.Float, 0, 4), Ints(b, 0, 8)], ("allowzero", 1));
        Infer(b);
        Assert.Equal("f32[batch,seq,4,64]", TypeOf(y));
        Assert.Equal("f32[0,8]", TypeOf(z));
    }
}
