using Optimizer.Onnx.IR;
using Optimizer.Onnx.Verification;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Infrastructure;

namespace Optimizer.Passes.Tests.Cleanup;

/// <summary>
/// A chain of 100,000 Identity nodes, once through the pass and the verifier (not timed; tools/scale-bench.sh
/// measures): when removing a node cost a sweep of the node list, this alone took minutes.
/// </summary>
public class EliminateIdentityScaleTests
{
    [Fact]
    public void RemovesAHundredThousandChainedIdentities()
    {
        const int count = 100_000;
        var graph = new Graph("chain");
        var model = new Model(graph) { IrVersion = 8 };
        model.OpsetImports.Add(new OpsetImport("", 17));
        var type = new TensorTypeInfo(ElementType.Float, new Shape(1, 4));
        var x = graph.AddInput("x", type);
        var v = graph.AddNode("Relu", [x], ["r"]).Output();
        for (var i = 0; i < count; i++) v = graph.AddNode("Identity", [v], [$"t{i}"]).Output();
        v.Type = type;
        graph.AddOutput(v);
        var records = PassRunner.Run(model, [new EliminateIdentity()], new PassContext(new PassOptions { Verify = true }));
        Assert.Equal(count, records[0].NodesRemoved);
        Assert.Equal("Relu", Assert.Single(graph.Nodes).OpType);
        Assert.Equal($"t{count - 1}", graph.Outputs[0].Name);
        Assert.Empty(ModelVerifier.Verify(model));
    }
}
