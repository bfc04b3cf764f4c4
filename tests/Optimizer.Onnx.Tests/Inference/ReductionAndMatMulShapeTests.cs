using Optimizer.Onnx.IR;
using Optimizer.TestKit;
using static Optimizer.Onnx.Tests.Inference.InferenceTestHelpers;

namespace Optimizer.Onnx.Tests.Inference;

public class ReductionAndMatMulShapeTests
{
    [Fact]
    public void ReduceMean_axes_attribute_before_opset_18_and_ReduceSum_axes_input_since_13()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, "N", "S", 8);
        var mean = b.Op("ReduceMean", [x], ("axes", new[] { -1 }));
        var sum = b.Op("ReduceSum", [x, Ints(b, 1)], ("keepdims", 0));
        var all = b.Op("ReduceSum", [x], ("keepdims", 0));
        var noop = b.Op("ReduceSum", [x], ("noop_with_empty_axes", 1));
        Infer(b);
        Assert.Equal("f32[N,S,1]", TypeOf(mean));
        Assert.Equal("f32[N,8]", TypeOf(sum));
        Assert.Equal("f32[]", TypeOf(all));
        Assert.Equal("f32[N,S,8]", TypeOf(noop));
    }

    [Fact]
    public void Reduce_axes_from_a_non_constant_input_keep_only_the_rank()
    {
        var b = new GraphBuilder(opset: 18);
        var x = b.Input("x", ElementType.Float, "N", 4);
        var axes = b.Input("axes", ElementType.Int64, 1);
        var kept = b.Op("ReduceMax", [x, axes]);
        var dropped = b.Op("ReduceMax", [x, axes], ("keepdims", 0));
        Infer(b);
        Assert.Equal("f32[?,?]", TypeOf(kept));
        Assert.Equal("f32[...]", TypeOf(dropped));
    }

    [Fact]
    public void ArgMax_and_TopK_give_int64_indices()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, "N", 10);
        var arg = b.Op("ArgMax", [x], ("axis", 1), ("keepdims", 0));
        var top = b.Node("TopK", [x, Ints(b, 3)], 2);
        Infer(b);
        Assert.Equal("i64[N]", TypeOf(arg));
        Assert.Equal("f32[N,3]", TypeOf(top.Output(0)));
        Assert.Equal("i64[N,3]", TypeOf(top.Output(1)));
    }

    [Theory]
    [InlineData(new object[] { "batch", "seq", 256 }, new object[] { 256 }, "f32[batch,seq]")]
    [InlineData(new object[] { 256 }, new object[] { 256, 8 }, "f32[8]")]
    [InlineData(new object[] { 1, 4, "S", 64 }, new object[] { "B", 1, 64, "S" }, "f32[B,4,S,S]")]
    [InlineData(new object[] { "A", 3, 4 }, new object[] { "B", 4, 5 }, "f32[?,3,5]")]
    public void MatMul_vectors_and_batch_broadcast(object[] a, object[] bDims, string expected)
    {
        var b = new GraphBuilder();
        var y = b.Op("MatMul", [b.Input("a", ElementType.Float, a), b.Input("b", ElementType.Float, bDims)]);
        Infer(b);
        Assert.Equal(expected, TypeOf(y));
    }

    [Fact]
    public void Gemm_with_transposes_and_Einsum()
    {
        var b = new GraphBuilder();
        var a = b.Input("a", ElementType.Float, 64, "N");
        var gemm = b.Op("Gemm", [a, b.RandomInitializer("w", 0.1f, 10, 64), b.RandomInitializer("c", 0.1f, 10)], ("transA", 1), ("transB", 1));
        var einsum = b.Op("Einsum", [b.Input("q", ElementType.Float, "B", "H", "S", 16), b.Input("k", ElementType.Float, "B", "H", "T", 16)],
            ("equation", "bhsd,bhtd->bhst"));
        Infer(b);
        Assert.Equal("f32[N,10]", TypeOf(gemm));
        Assert.Equal("f32[B,H,S,T]", TypeOf(einsum));
    }
}
