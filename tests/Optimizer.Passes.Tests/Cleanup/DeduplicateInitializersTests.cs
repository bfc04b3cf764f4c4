using Optimizer.Onnx.IR;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Cleanup;

public class DeduplicateInitializersTests
{
    [Fact]
    public void MergesInitializersWithTheSameBytes()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        var data = b.RandomFloats([3]);
        var w1 = b.Initializer("w1", data, 3);
        var w2 = b.Initializer("w2", data.ToArray(), 3);
        b.Output(b.Op("Mul", [b.Op("Add", [x, w1]), w2]));
        var run = PassHarness.Run(b.Model, new DeduplicateInitializers());
        Assert.Equal("w1", Assert.Single(b.Graph.Initializers).Name);
        Assert.Equal(12, run.Records[0].BytesSaved);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void KeepsEqualBytesOfADifferentShape()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 2);
        var w1 = b.Initializer("w1", new[] { 1f, 2f, 3f, 4f }, 4);
        var w2 = b.Initializer("w2", new[] { 1f, 2f, 3f, 4f }, 2, 2);
        b.Output(b.Op("Add", [x, w2]), b.Op("Add", [b.Op("Flatten", [x], ("axis", 0)), w1]));
        var run = PassHarness.Run(b.Model, new DeduplicateInitializers());
        Assert.Equal(2, b.Graph.Initializers.Count);
        Assert.False(run.Records[0].Changed);
    }

    [Fact]
    public void DeclinesAnInitializerThatIsAlsoAGraphInput()
    {
        var b = new GraphBuilder();
        b.Model.IrVersion = 8;
        var x = b.Input("x", ElementType.Float, 3);
        var w1 = b.Initializer("w1", new[] { 1f, 2f, 3f }, 3);
        var w2 = b.Initializer("w2", new[] { 1f, 2f, 3f }, 3);
        b.Graph.AddInputValue(w2);
        b.Output(b.Op("Add", [b.Op("Add", [x, w1]), w2]));
        var run = PassHarness.Run(b.Model, new DeduplicateInitializers());
        Assert.Equal(2, b.Graph.Initializers.Count);
        run.AssertDeclined("also a graph input");
    }

    [Fact]
    public void MergesInitializersListedAsInputsOnlyBecauseIrVersion3RequiresIt()
    {
        // Before IR 4 every initializer is listed among the inputs and is still a constant (ONNX Runtime treats it so).
        var b = new GraphBuilder();
        b.Model.IrVersion = 3;
        var x = b.Input("x", ElementType.Float, 3);
        var w1 = b.Initializer("w1", new[] { 1f, 2f, 3f }, 3);
        var w2 = b.Initializer("w2", new[] { 1f, 2f, 3f }, 3);
        b.Graph.AddInputValue(w1);
        b.Graph.AddInputValue(w2);
        b.Output(b.Op("Add", [b.Op("Add", [x, w1]), w2]));
        var run = PassHarness.Run(b.Model, new DeduplicateInitializers());
        Assert.Single(b.Graph.Initializers);
        Assert.Equal(0, run.MaxRelativeError());
    }

    /// <summary>x → If(cond){ MatMul(x, wThen) } else { MatMul(x, wElse) }, each weight an initializer of its branch.</summary>
    private static (GraphBuilder B, Graph Then, Graph Else) Branches(float[] wThen, float[] wElse, int n)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, n);
        var cond = b.Input("cond", ElementType.Bool);
        Graph Branch(string name, float[] w)
        {
            var g = new Graph(name);
            var weight = g.AddInitializer(Tensor.FromArray(name + "_w", w, n, n));
            g.AddOutput(g.AddNode("MatMul", [x, weight], [name + "_y"]).Output());
            return g;
        }
        var then = Branch("then", wThen);
        var otherwise = Branch("else", wElse);
        b.Output(b.Op("If", [cond], ("then_branch", then), ("else_branch", otherwise)));
        return (b, then, otherwise);
    }

    [Fact]
    public void CopiesInSiblingBranchesAreKeptOnceInTheEnclosingGraph()
    {
        var w = new GraphBuilder().RandomFloats([16, 16]);
        var (b, then, otherwise) = Branches(w, w.ToArray(), 16);
        var run = PassHarness.Run(b.Model, new DeduplicateInitializers());

        Assert.Empty(then.Initializers);
        Assert.Empty(otherwise.Initializers);
        var kept = Assert.Single(b.Graph.Initializers);
        Assert.Equal(2, kept.Uses.Count);
        Assert.Equal(16 * 16 * 4, run.Records[0].BytesSaved);
        foreach (var c in new[] { true, false })
        {
            var feed = OrtRunner.SeededInputs(b.Model, 2);
            feed["cond"] = new TestTensor(ElementType.Bool, [], new[] { c });
            Assert.Equal(0, run.MaxRelativeError(inputs: feed));
        }
    }

    [Fact]
    public void ACopyInABranchReadsTheEnclosingGraphsOwn()
    {
        var w = new GraphBuilder().RandomFloats([16, 16]);
        var (b, then, otherwise) = Branches(w, new GraphBuilder(seed: 9).RandomFloats([16, 16]), 16);
        var outer = b.Initializer("outer_w", w.ToArray(), 16, 16);
        b.Output(b.Op("MatMul", [b.Graph.Inputs[0], outer]));
        PassHarness.Run(b.Model, new DeduplicateInitializers());

        Assert.Empty(then.Initializers);
        Assert.Single(otherwise.Initializers); // other bytes: not a copy
        Assert.Equal("outer_w", Assert.Single(b.Graph.Initializers).Name);
        Assert.Equal(2, outer.Uses.Count);
    }

    [Fact]
    public void SmallCopiesStayInTheirBranches()
    {
        var w = new GraphBuilder().RandomFloats([4, 4]); // 64 bytes: under the threshold
        var (b, then, otherwise) = Branches(w, w.ToArray(), 4);
        var run = PassHarness.Run(b.Model, new DeduplicateInitializers());

        Assert.Single(then.Initializers);
        Assert.Single(otherwise.Initializers);
        Assert.Empty(b.Graph.Initializers);
        Assert.False(run.Records[0].Changed);
    }
}
