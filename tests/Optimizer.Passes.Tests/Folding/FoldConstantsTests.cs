using Optimizer.Onnx.IR;
using Optimizer.Passes.Folding;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Folding;

public class FoldConstantsTests
{
    [Fact]
    public void FoldsConstantChainsAndShapesOfKnownSize()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3, 4);
        var scale = b.Op("Sqrt", [b.Op("Add", [b.RandomInitializer("a", 1f, 4), b.Initializer("two", new[] { 2f }, 1)])]);
        // Shape -> Gather -> Concat -> Reshape: the exporter's way to write Reshape(x, [2, 12]).
        var batch = b.Op("Gather", [b.Op("Shape", [x]), b.Initializer("zero", new long[] { 0 }, 1)], ("axis", 0));
        var target = b.Op("Concat", [batch, b.Initializer("rest", new long[] { -1 }, 1)], ("axis", 0));
        b.Output(b.Op("Reshape", [b.Op("Mul", [x, scale]), target]));
        var run = PassHarness.Run(b.Model, new FoldConstants());
        Assert.Equal("Mul,Reshape", run.Ops);
        Assert.Equal(new long[] { 2, -1 }, b.Graph.Nodes[1].Input(1)!.GetConstant()!.ToArray<long>());
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void FoldsInsideSubgraphs()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 3);
        var cond = b.Input("cond", ElementType.Bool);
        var c = b.Initializer("c", new[] { 1f, 2f, 3f }, 3);
        var then = new Graph("then");
        then.AddOutput(then.AddNode("Add", [x, then.AddNode("Neg", [c], ["negc"]).Output()], ["sum"]).Output());
        var otherwise = new Graph("else");
        otherwise.AddOutput(otherwise.AddNode("Abs", [x], ["abs"]).Output());
        b.Output(b.Op("If", [cond], ("then_branch", then), ("else_branch", otherwise)));
        var run = PassHarness.Run(b.Model, new FoldConstants());
        Assert.Equal("Add", string.Join(",", then.Nodes.Select(n => n.OpType)));
        Assert.Equal(new[] { -1f, -2f, -3f }, then.Initializers[0].Initializer!.ToArray<float>());
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void DeclinesResultsAboveTheSizeLimit()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 512, 512);
        var big = b.Op("ConstantOfShape", [b.Initializer("shape", new long[] { 512, 512 }, 2)]);
        b.Output(b.Op("Add", [x, b.Op("Cast", [big], ("to", 1))]));
        var run = PassHarness.Run(b.Model, new PassOptions { FoldSizeLimitBytes = 1 << 16 }, new FoldConstants());
        Assert.Equal("ConstantOfShape,Cast,Add", run.Ops);
        run.AssertDeclined("exceed the size limit");
    }

    /// <summary>x [1, 8, 16, 16] -> Relu, joined by Concat along channels to a ConstantOfShape of <paramref name="padChannels"/> zero channels.</summary>
    private static GraphBuilder ChannelPadding(int padChannels)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 8, 16, 16);
        var zeros = b.Op("ConstantOfShape", [b.Initializer("shape", new long[] { 1, padChannels, 16, 16 }, 4)],
            ("value", Tensor.FromArray("v", new[] { 0f }, 1)));
        b.Output(b.Op("Concat", [b.Op("Relu", [x]), zeros], ("axis", 1)));
        return b;
    }

    [Fact]
    public void A_large_constant_only_joined_to_data_by_concat_stays_a_ConstantOfShape()
    {
        var b = ChannelPadding(4); // 4 x 16 x 16 floats: 4 KiB from a 32-byte shape
        var run = PassHarness.Run(b.Model, new FoldConstants());

        Assert.Equal("ConstantOfShape,Relu,Concat", run.Ops);
        Assert.DoesNotContain(b.Graph.Initializers, v => v.Initializer!.ByteCount > 1024);
        run.AssertDeclined("only joined to run-time data by Concat");
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void A_small_one_and_one_a_later_pass_needs_are_folded()
    {
        // Small (one 16 x 16 channel of floats: 1 KiB, the limit): folded, as before.
        var small = ChannelPadding(1);
        PassHarness.Run(small.Model, new FoldConstants()).AssertSameOutputs(0);
        Assert.DoesNotContain(small.Graph.Nodes, n => n.OpType == "ConstantOfShape");

        // A weight: Concat of a constant and a ConstantOfShape is the Conv's weight, which fusion and quantization need
        // constant; the ConstantOfShape (8 KiB) and then the Concat fold.
        var w = new GraphBuilder();
        var input = w.Input("x", ElementType.Float, 1, 3, 8, 8);
        var half = w.Op("ConstantOfShape", [w.Initializer("shape", new long[] { 8, 3, 3, 3 }, 4)], ("value", Tensor.FromArray("v", new[] { 0.1f }, 1)));
        var weight = w.Op("Concat", [w.RandomInitializer("w", 0.5f, 8, 3, 3, 3), half], ("axis", 0));
        w.Output(w.Op("Conv", [input, weight]));
        var run = PassHarness.Run(w.Model, new FoldConstants());
        Assert.Equal("Conv", run.Ops);
        Assert.NotNull(w.Graph.Nodes[0].Input(1)!.GetConstant());
        run.AssertSameOutputs(1e-6);

        // An Add with data: a fusion or no-op elimination may need the constant, so it folds.
        var a = new GraphBuilder();
        var ax = a.Input("x", ElementType.Float, 1, 4, 16, 16);
        a.Output(a.Op("Add", [ax, a.Op("ConstantOfShape", [a.Initializer("shape", new long[] { 1, 4, 16, 16 }, 4)], ("value", Tensor.FromArray("v", new[] { 1f }, 1)))]));
        Assert.Equal("Add", PassHarness.Run(a.Model, new FoldConstants()).Ops);
    }
}
