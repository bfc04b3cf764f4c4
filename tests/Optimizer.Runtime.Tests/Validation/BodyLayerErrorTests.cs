using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Validation;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Runtime.Tests.Validation;

/// <summary>
/// "Which layer lost the accuracy?" for layers inside If branches (silero VAD keeps all its computation there): their
/// values are lifted out as calibration lifts them and compared only on the samples whose branch ran.
/// </summary>
public sealed class BodyLayerErrorTests
{
    [Fact]
    public void ALayerInsideAnIfBranchIsMeasuredOnTheSamplesThatTookItsBranch()
    {
        var reference = Model(2f);
        var quantized = Model(2.2f); // the then-branch's layer 10 % off, the else-branch's exact
        float[] a = [-1f, 0.5f, 2f, 3f], b = [10f, -4f, 0f, 1f], c = [1f, 2f, 3f, 4f];
        var errors = LayerErrorMeter.Measure(reference, quantized, ["doubled", "shifted", "missing"], new Dictionary<string, (string, string)>(),
            [Sample(a, true), Sample(b, false), Sample(c, true)]);

        Assert.Equal(["doubled", "shifted"], errors.Select(e => e.Value));
        var doubled = errors[0];
        Assert.Equal(8, doubled.Elements); // samples a and c only
        Assert.Equal(20, doubled.SqnrDb, 3); // error 0.1 of the signal everywhere
        Assert.Equal("Mul", doubled.OpType);
        Assert.Equal(4, errors[1].Elements); // sample b only
        Assert.True(double.IsPositiveInfinity(errors[1].SqnrDb));
    }

    [Fact]
    public void ABranchNoSampleTookIsNotReported()
    {
        var errors = LayerErrorMeter.Measure(Model(2f), Model(2.2f), ["doubled", "shifted"], new Dictionary<string, (string, string)>(),
            [Sample([1f, 2f, 3f, 4f], true)]);

        Assert.Equal(["doubled"], errors.Select(e => e.Value));
    }

    /// <summary>If(cond) { doubled = factor·x; then_out = relu(doubled) } else { shifted = x − 1; else_out = relu(shifted) }.</summary>
    private static byte[] Model(float factor)
    {
        var graph = new Graph("main");
        var x = graph.AddInput("x", new TensorTypeInfo(ElementType.Float, new Shape(4)));
        var cond = graph.AddInput("cond", new TensorTypeInfo(ElementType.Bool, new Shape(Array.Empty<long>())));
        var then = new Graph("then");
        var doubled = then.AddNode("Mul", [x, then.AddInitializer(Tensor.Scalar("factor", factor))], ["doubled"]).Output();
        doubled.Type = new TensorTypeInfo(ElementType.Float, new Shape(4));
        then.AddOutput(then.AddNode("Relu", [doubled], ["then_out"]).Output());
        var other = new Graph("else");
        var shifted = other.AddNode("Sub", [x, other.AddInitializer(Tensor.Scalar("one", 1f))], ["shifted"]).Output();
        shifted.Type = new TensorTypeInfo(ElementType.Float, new Shape(4));
        other.AddOutput(other.AddNode("Relu", [shifted], ["else_out"]).Output());
        var node = graph.AddNode("If", [cond], ["y"], [Attribute.FromGraph("then_branch", then), Attribute.FromGraph("else_branch", other)]);
        node.Output().Type = new TensorTypeInfo(ElementType.Float, new Shape(4));
        graph.AddOutput(node.Output());
        var model = new Model(graph) { IrVersion = 8 };
        model.SetOpset("", 13);
        return ModelWriter.ToBytes(model);
    }

    private static Sample Sample(float[] x, bool cond) => new("s", "test", new Dictionary<string, HostTensor>
    {
        ["x"] = HostTensor.FromArray(x, [4]),
        ["cond"] = HostTensor.FromArray(new[] { cond }, []),
    });
}
