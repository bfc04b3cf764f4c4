using Optimizer.Onnx.IR;
using Optimizer.Onnx.Verification;
using Optimizer.TestKit;

namespace Optimizer.Onnx.Tests.IR;

public class NodeOutputTests
{
    [Fact]
    public void TruncateOutputsDropsUnusedTrailingOutputs()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 6);
        var split = b.Node("Split", [x], 3, ("axis", 1));
        b.Output(split.Outputs[0]!);
        split.TruncateOutputs(1);
        Assert.Single(split.Outputs);
        Assert.Empty(ModelVerifier.Verify(b.Model));
    }

    [Fact]
    public void TruncateOutputsRefusesWhenAnOutputIsUsed()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 6);
        var split = b.Node("Split", [x], 3, ("axis", 1));
        b.Output(split.Outputs[0]!, b.Op("Relu", [split.Outputs[2]]));
        Assert.Throws<InvalidOperationException>(() => split.TruncateOutputs(1));
        Assert.Equal(3, split.Outputs.Count);
    }
}

public class InitializerInputTests
{
    [Fact]
    public void AnInitializerCanAlsoBeAGraphInputAsInOldIrVersions()
    {
        var b = new GraphBuilder();
        var w = b.Initializer("w", new[] { 1f }, 1);
        b.Graph.AddInputValue(w);
        Assert.True(w.IsGraphInput && w.IsInitializer);
        Assert.Contains(w, b.Graph.Inputs);
        b.Output(b.Op("Relu", [w]));
        Assert.Empty(Optimizer.Onnx.Verification.ModelVerifier.Verify(b.Model));
    }
}
