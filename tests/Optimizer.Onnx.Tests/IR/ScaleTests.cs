using ModelGen;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Onnx.Verification;

namespace Optimizer.Onnx.Tests.IR;

/// <summary>
/// Big and deep graphs through the IR's own walks, once each (not timed: tools/scale-bench.sh measures). Before these
/// walks were linear, the nested model alone took minutes here; now the class takes seconds.
/// </summary>
public class ScaleTests
{
    [Fact]
    public void VerifiesIfsNested1360Deep()
    {
        var model = ScaleModels.NestedIf(1360);
        Assert.Empty(ModelVerifier.Verify(model));
        Assert.Equal(1360 * 2 + 1, model.Graph.AllGraphs().Count());
        Assert.Equal(1360 * 2 + 1, model.Graph.AllNodes().Count());
    }

    [Fact]
    public void ReadsBackIfsNested300Deep()
    {
        // Protobuf's writer sizes every nested message again at each level (nodes times depth): kept shallower here.
        var read = ModelReader.Read(new MemoryStream(ModelWriter.ToBytes(ScaleModels.NestedIf(300))), null);
        Assert.Equal(300 * 2 + 1, read.Graph.AllNodes().Count());
    }

    [Fact]
    public void ImplicitInputsOfADeepTreeAreWorkedOutOncePerGraph()
    {
        var model = ScaleModels.NestedIf(200);
        var outer = new OuterUses();
        var top = model.Graph.Nodes[0];
        // The outermost If reads x and one (the leaves' Add) and cond (the inner Ifs) from the main graph.
        Assert.Equal(["cond", "one", "x"], outer.ImplicitInputs(top).Select(v => v.Name).Order(StringComparer.Ordinal));
        Assert.Equal(3, Graph.ImplicitInputs(top).Count);
    }

    [Fact]
    public void RemovingEveryOtherNodeOfAHundredThousandLeavesTheRestInOrder()
    {
        var model = ScaleModels.IdentityChain(100_000);
        var g = model.Graph;
        var nodes = g.Nodes.ToList();
        for (var i = 0; i < nodes.Count - 1; i += 2)
        {
            // y = Identity(x) => consumers read x
            nodes[i].Output().ReplaceAllUsesWith(nodes[i].Input(0)!);
            g.RemoveNode(nodes[i]);
        }
        Assert.Equal(50_000, g.Nodes.Count);
        Assert.Equal(nodes.Where((_, i) => i % 2 == 1), g.Nodes);
        Assert.Empty(ModelVerifier.Verify(model));
    }
}
