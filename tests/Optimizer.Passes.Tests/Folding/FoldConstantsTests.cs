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
}
