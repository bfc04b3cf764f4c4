using Optimizer.Onnx.IR;
using Optimizer.Onnx.Verification;
using Optimizer.TestKit;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Onnx.Tests.IR;

public class GraphEditingTests
{
    private static (GraphBuilder B, Value X, Value A, Value R, Value S) Chain()
    {
        // x -> Abs -> Relu -> Sigmoid -> output
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "batch", 4);
        var a = b.Op("Abs", [x]);
        var r = b.Op("Relu", [a]);
        var s = b.Op("Sigmoid", [r]);
        b.Output(s);
        return (b, x, a, r, s);
    }

    [Fact]
    public void UsesAndProducersFollowEdits()
    {
        var (b, x, a, r, _) = Chain();
        Assert.Single(x.Uses);
        Assert.Equal("Abs", a.Producer!.OpType);
        var relu = r.Producer!;
        relu.SetInput(0, x);
        Assert.Empty(a.Uses);
        Assert.Equal(2, x.Uses.Count);
        Assert.Contains(new Use(relu, 0), x.Uses);
        Assert.Empty(ModelVerifier.Verify(b.Model));
    }

    [Fact]
    public void ReplaceAllUsesWithRewiresEveryConsumer()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2);
        var a = b.Op("Abs", [x]);
        var n1 = b.Op("Neg", [a]);
        var n2 = b.Op("Exp", [a]);
        b.Output(b.Op("Add", [n1, n2]));
        a.ReplaceAllUsesWith(x);
        Assert.Empty(a.Uses);
        Assert.Equal(3, x.Uses.Count);
        Assert.Equal(1, b.Graph.RemoveDeadNodes());
        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "Abs");
        Assert.Empty(ModelVerifier.Verify(b.Model));
    }

    [Fact]
    public void ReplacingAGraphOutputKeepsTheInterfaceName()
    {
        var (b, _, _, r, s) = Chain();
        var sigmoid = s.Producer!;
        s.ReplaceAllUsesWith(r);
        Assert.Equal("sigmoid3", b.Graph.Outputs[0].Name);
        Assert.Same(r, b.Graph.Outputs[0]);
        b.Graph.RemoveNode(sigmoid);
        Assert.Empty(ModelVerifier.Verify(b.Model));
    }

    [Fact]
    public void ReplacingAGraphOutputWithAGraphInputIsRefused()
    {
        var (b, x, _, _, s) = Chain();
        var ex = Assert.Throws<InvalidOperationException>(() => s.ReplaceAllUsesWith(x));
        Assert.Contains("Identity", ex.Message);
        Assert.Same(s, b.Graph.Outputs[0]);
    }

    [Fact]
    public void RemovingNodesIsAllOrNothing()
    {
        var (b, _, a, r, _) = Chain();
        var before = b.Graph.Nodes.ToList();
        var ex = Assert.Throws<InvalidOperationException>(() => b.Graph.RemoveNodes([a.Producer!, r.Producer!]));
        Assert.Contains("still used", ex.Message);
        Assert.Equal(before, b.Graph.Nodes);
        Assert.Single(a.Uses);
        Assert.Empty(ModelVerifier.Verify(b.Model));
    }

    [Fact]
    public void RemovingAProducerOfAGraphOutputIsRefused()
    {
        var (b, _, _, _, s) = Chain();
        var ex = Assert.Throws<InvalidOperationException>(() => b.Graph.RemoveNode(s.Producer!));
        Assert.Contains("graph output", ex.Message);
        Assert.Equal(3, b.Graph.Nodes.Count);
    }

    [Fact]
    public void RemovingAConsumerReleasesItsUses()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2);
        var dead = b.Op("Neg", [x]);
        b.Output(b.Op("Abs", [x]));
        b.Graph.RemoveNode(dead.Producer!);
        Assert.Single(x.Uses);
        Assert.Empty(ModelVerifier.Verify(b.Model));
    }

    [Fact]
    public void DeadCodeEliminationRemovesUnusedChainsOnly()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2);
        var d1 = b.Op("Neg", [x]);
        b.Op("Exp", [d1]);
        b.Output(b.Op("Abs", [x]));
        Assert.Equal(2, b.Graph.RemoveDeadNodes());
        Assert.Equal(["Abs"], b.Graph.Nodes.Select(n => n.OpType));
        Assert.Equal(0, b.Graph.RemoveDeadNodes());
    }

    [Fact]
    public void UnusedInitializersAreRemovedButInputsKept()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2);
        var w = b.Initializer("w", new float[] { 1, 2 }, 2);
        b.Initializer("unused", new float[] { 3 }, 1);
        b.Output(b.Op("Add", [x, w]));
        Assert.Equal(1, b.Graph.RemoveUnusedInitializers());
        Assert.Equal(["w"], b.Graph.Initializers.Select(v => v.Name));
        Assert.Throws<InvalidOperationException>(() => b.Graph.RemoveInitializer(w));
    }

    [Fact]
    public void UniqueNamesNeverCollideAcrossSubgraphs()
    {
        var b = new GraphBuilder();
        var cond = b.Input("cond", ElementType.Bool);
        var thenGraph = new Graph("then");
        thenGraph.AddOutput(thenGraph.AddNode("Constant", [], ["taken"], [Attribute.FromTensor("value", Tensor.Scalar("taken", 1f))]).Output());
        var elseGraph = new Graph("else");
        elseGraph.AddOutput(elseGraph.AddNode("Constant", [], ["taken_1"], [Attribute.FromTensor("value", Tensor.Scalar("taken_1", 0f))]).Output());
        var ifNode = b.Node("If", [cond], 1, ("then_branch", thenGraph), ("else_branch", elseGraph));
        b.Output(ifNode.Output());
        var name = b.Graph.UniqueValueName("taken");
        Assert.Equal("taken_2", name);
        Assert.NotEqual(name, b.Graph.UniqueValueName("taken"));
        Assert.Same(ifNode, thenGraph.ParentNode);
        Assert.Same(b.Graph, thenGraph.Parent);
    }

    [Fact]
    public void TopologicalSortRepairsOrderStably()
    {
        // Nodes appended out of order: Sigmoid(Relu(Abs(x))) written as Relu, Sigmoid, Abs, plus an independent Neg.
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2);
        var abs = new Node("Abs", [x], ["a"]);
        var relu = new Node("Relu", [abs.Output()], ["r"]);
        var sigmoid = new Node("Sigmoid", [relu.Output()], ["s"]);
        var neg = new Node("Neg", [x], ["n"]);
        foreach (var n in new[] { relu, sigmoid, abs, neg }) b.Graph.Append(n);
        b.Output(sigmoid.Output(), neg.Output());
        Assert.False(b.Graph.IsTopologicallySorted());
        Assert.Contains(ModelVerifier.Verify(b.Model), p => p.Contains("before the node that produces it"));
        Assert.Empty(ModelVerifier.Verify(b.Model, requireTopologicalOrder: false));
        b.Graph.SortTopologically();
        Assert.Equal([abs, relu, sigmoid, neg], b.Graph.Nodes);
        Assert.Empty(ModelVerifier.Verify(b.Model));
    }

    [Fact]
    public void ACycleIsDetectedAndSortRefuses()
    {
        var (b, _, a, _, s) = Chain();
        a.Producer!.SetInput(0, s); // Abs now consumes Sigmoid's output
        Assert.NotEmpty(b.Graph.FindCycle());
        Assert.Throws<InvalidOperationException>(() => b.Graph.SortTopologically());
        Assert.Contains(ModelVerifier.Verify(b.Model), p => p.Contains("cycle"));
    }

    [Fact]
    public void SubgraphUsesOfOuterValuesCountAsUses()
    {
        var b = new GraphBuilder();
        var cond = b.Input("cond", ElementType.Bool);
        var x = b.Input("x", ElementType.Float, 2);
        var outer = b.Op("Abs", [x]);
        var thenGraph = new Graph("then");
        thenGraph.AddOutput(thenGraph.AddNode("Neg", [outer], ["neg_in_then"]).Output());
        var elseGraph = new Graph("else");
        elseGraph.AddOutput(elseGraph.AddNode("Exp", [outer], ["exp_in_else"]).Output());
        var ifNode = b.Node("If", [cond], 1, ("then_branch", thenGraph), ("else_branch", elseGraph));
        b.Output(ifNode.Output());
        Assert.Equal(2, outer.Uses.Count);
        Assert.Equal([outer], Graph.ImplicitInputs(ifNode));
        Assert.Equal(0, b.Graph.RemoveDeadNodes());
        Assert.Throws<InvalidOperationException>(() => b.Graph.RemoveNode(outer.Producer!));
        Assert.Empty(ModelVerifier.Verify(b.Model));
        // Removing the If releases the uses its branches made.
        b.Graph.RemoveOutputAt(0);
        b.Graph.RemoveNode(ifNode);
        Assert.Empty(outer.Uses);
    }
}
