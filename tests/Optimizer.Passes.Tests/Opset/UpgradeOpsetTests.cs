using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Opset;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Opset;

public class UpgradeOpsetTests
{
    /// <summary>An opset-9 model using the attribute forms that later opsets moved to inputs.</summary>
    private static GraphBuilder Opset9Model()
    {
        var b = new GraphBuilder(opset: 9);
        var x = b.Input("x", ElementType.Float, 2, 3, 4);
        var v = b.Op("Clip", [x], ("min", -0.5f), ("max", 0.5f));
        v.Type = x.Type; // as shape inference records it: the Pad value becomes a float input
        v = b.Op("Pad", [v], ("pads", new[] { 0, 0, 1, 0, 0, 2 }), ("value", 0.25f));
        v = b.Op("Slice", [v], ("starts", new[] { 1 }), ("ends", new[] { 6 }), ("axes", new[] { 2 }));
        v = b.Op("Unsqueeze", [v], ("axes", new[] { 0 }));
        v = b.Op("Squeeze", [v], ("axes", new[] { 0 }));
        v = b.Op("ReduceMean", [v], ("axes", new[] { 1 }), ("keepdims", 1));
        v = b.Op("ReduceSum", [v], ("axes", new[] { 2 }), ("keepdims", 0));
        var parts = b.Node("Split", [v], 2, ("axis", 0), ("split", new[] { 1, 1 }));
        var up = b.Op("Upsample", [parts.Outputs[0], b.Initializer("scales", new[] { 1f, 2f }, 2)], ("mode", "nearest"));
        up.Type = new TensorTypeInfo(ElementType.Float, new Shape(1, 8)); // as shape inference records it
        var s = b.Op("Softmax", [up], ("axis", 1));
        b.Output(s, parts.Outputs[1]!);
        return b;
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(18)]
    [InlineData(21)]
    public void UpgradesEveryChangedOperatorAndKeepsTheResults(long target)
    {
        var b = Opset9Model();
        var run = PassHarness.Run(b.Model, new PassOptions { TargetOpset = target }, new UpgradeOpset());
        Assert.Equal(target, b.Model.GetOpset());
        Assert.Contains("Resize", run.Ops);
        Assert.DoesNotContain(b.Graph.Nodes, n => n.HasAttribute("pads") || n.HasAttribute("starts") || n.HasAttribute("min"));
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void RefusesASoftmaxWhoseMeaningChanges()
    {
        var b = new GraphBuilder(opset: 11);
        var x = b.Input("x", ElementType.Float, 2, 3, 4);
        b.Output(b.Op("Softmax", [x], ("axis", 1)));
        var e = Assert.Throws<InvalidInputException>(() => PassHarness.Run(b.Model, new PassOptions { TargetOpset = 13 }, new UpgradeOpset()));
        Assert.Contains("flattens from axis 1", e.Message);
        Assert.Equal(11, b.Model.GetOpset());
    }

    [Fact]
    public void RefusesADowngrade()
    {
        var b = new GraphBuilder(opset: 17);
        b.Output(b.Op("Relu", [b.Input("x", ElementType.Float, 2)]));
        var e = Assert.Throws<InvalidInputException>(() => PassHarness.Run(b.Model, new PassOptions { TargetOpset = 13 }, new UpgradeOpset()));
        Assert.Contains("only upgrades", e.Message);
    }
}
