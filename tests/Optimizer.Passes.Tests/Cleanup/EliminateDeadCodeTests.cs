using Optimizer.Onnx.IR;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Cleanup;

public class EliminateDeadCodeTests
{
    [Fact]
    public void RemovesUnusedNodesAndInitializers()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        var unusedWeight = b.RandomInitializer("w", 1f, 3);
        b.Op("Exp", [b.Op("Add", [x, unusedWeight])]);
        b.Output(b.Op("Relu", [x]));
        var run = PassHarness.Run(b.Model, new EliminateDeadCode());
        Assert.Equal("Relu", run.Ops);
        Assert.Empty(b.Graph.Initializers);
        Assert.Equal(2, run.Records[0].NodesRemoved);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void KeepsWhatASubgraphUsesAndTheGraphInputs()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2);
        var unusedInput = b.Input("unused", ElementType.Float, 2);
        var cond = b.Input("cond", ElementType.Bool);
        var outer = b.Op("Relu", [x]);
        var then = new Graph("then");
        then.AddOutput(then.AddNode("Neg", [outer], ["neg"]).Output());
        var otherwise = new Graph("else");
        otherwise.AddOutput(otherwise.AddNode("Abs", [outer], ["abs"]).Output());
        b.Output(b.Op("If", [cond], ("then_branch", then), ("else_branch", otherwise)));
        var run = PassHarness.Run(b.Model, new EliminateDeadCode());
        Assert.Equal("Relu,If", run.Ops);
        Assert.Contains(unusedInput, b.Graph.Inputs);
        Assert.False(run.Records[0].Changed);
        Assert.Empty(run.Declines);
    }
}
