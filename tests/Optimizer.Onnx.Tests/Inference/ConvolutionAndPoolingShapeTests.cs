using Optimizer.Onnx.IR;
using Optimizer.TestKit;
using static Optimizer.Onnx.Tests.Inference.InferenceTestHelpers;

namespace Optimizer.Onnx.Tests.Inference;

public class ConvolutionAndPoolingShapeTests
{
    [Theory]
    [InlineData("SAME_UPPER", "f32[N,4,(H+1)//2,(W+1)//2]")]
    [InlineData("VALID", "f32[N,4,(H+1)//2-1,(W+1)//2-1]")]
    public void Conv_auto_pad_modes(string autoPad, string expected)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "N", 2, "H", "W");
        var y = b.Op("Conv", [x, b.RandomInitializer("w", 0.1f, 4, 2, 3, 3)], ("strides", new[] { 2, 2 }), ("auto_pad", autoPad));
        b.Output(y);
        Infer(b);
        Assert.Equal(expected, TypeOf(y));
    }

    [Fact]
    public void Grouped_and_dilated_conv()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 8, 32, 32);
        var y = b.Op("Conv", [x, b.RandomInitializer("w", 0.1f, 8, 2, 3, 3)], ("group", 4), ("dilations", new[] { 2, 2 }));
        b.Output(y);
        Infer(b);
        Assert.Equal("f32[1,8,28,28]", TypeOf(y));
    }

    [Fact]
    public void ConvTranspose_with_output_padding_output_shape_and_same_padding()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "N", 4, "H", 10);
        var w = b.RandomInitializer("w", 0.1f, 4, 3, 3, 3);
        var plain = b.Op("ConvTranspose", [x, w], ("strides", new[] { 2, 2 }), ("pads", new[] { 1, 1, 1, 1 }), ("output_padding", new[] { 1, 1 }));
        var same = b.Op("ConvTranspose", [x, w], ("strides", new[] { 2, 2 }), ("auto_pad", "SAME_UPPER"));
        var fixedShape = b.Op("ConvTranspose", [x, w], ("strides", new[] { 2, 2 }), ("output_shape", new[] { 21, 21 }));
        b.Output(plain, same, fixedShape);
        Infer(b);
        Assert.Equal("f32[N,3,H*2,20]", TypeOf(plain));
        Assert.Equal("f32[N,3,H*2,20]", TypeOf(same));
        Assert.Equal("f32[N,3,21,21]", TypeOf(fixedShape));
    }

    [Fact]
    public void MaxPool_ceil_mode_rounds_up_and_its_indices_are_int64()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "N", 64, 111, "W");
        var node = b.Node("MaxPool", [x], 2, ("kernel_shape", new[] { 3, 3 }), ("strides", new[] { 2, 2 }), ("ceil_mode", 1));
        var floor = b.Op("MaxPool", [x], ("kernel_shape", new[] { 3, 3 }), ("strides", new[] { 2, 2 }));
        b.Output(node.Output(0), node.Output(1), floor);
        Infer(b);
        Assert.Equal("f32[N,64,55,W//2]", TypeOf(node.Output(0)));
        Assert.Equal("i64[N,64,55,W//2]", TypeOf(node.Output(1)));
        Assert.Equal("f32[N,64,55,(W+1)//2-1]", TypeOf(floor));
    }

    [Fact]
    public void Ceil_mode_whose_last_window_could_start_in_the_padding_is_left_unknown()
    {
        // Runtimes differ on a last window starting in the end padding; a symbolic dim cannot rule it out here.
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 1, "H", 6);
        var y = b.Op("AveragePool", [x], ("kernel_shape", new[] { 2, 2 }), ("strides", new[] { 2, 2 }), ("pads", new[] { 1, 1, 1, 1 }), ("ceil_mode", 1));
        b.Output(y);
        Infer(b);
        Assert.Equal("f32[1,1,?,4]", TypeOf(y));
    }

    [Fact]
    public void Global_pool_and_normalizations()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "N", 8, "H", "W");
        var pooled = b.Op("GlobalAveragePool", [x]);
        var bn = b.Op("BatchNormalization", [x, .. Enumerable.Range(0, 4).Select(i => b.RandomInitializer($"s{i}", 1f, 8))]);
        var ln = b.Node("LayerNormalization", [x, b.RandomInitializer("g", 1f, 8)], 3, ("axis", 1));
        b.Output(pooled, bn, ln.Output(0), ln.Output(1));
        Infer(b);
        Assert.Equal("f32[N,8,1,1]", TypeOf(pooled));
        Assert.Equal("f32[N,8,H,W]", TypeOf(bn));
        Assert.Equal("f32[N,8,H,W]", TypeOf(ln.Output(0)));
        Assert.Equal("f32[N,1,1,1]", TypeOf(ln.Output(1)));
    }
}
