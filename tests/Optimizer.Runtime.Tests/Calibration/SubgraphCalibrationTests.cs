using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Runtime.Calibration;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Sessions;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Runtime.Tests.Calibration;

/// <summary>
/// Tensors of If branches and Loop bodies are observed through outputs lifted to the main graph: their statistics
/// are those of every time the body ran, and a branch not taken adds nothing.
/// </summary>
public sealed class SubgraphCalibrationTests
{
    private static readonly CalibrationSettings Settings = new() { Session = SessionSettings.ForComparison };

    [Fact]
    public void AnIfBranchTensorIsObservedOnlyWhenItsBranchRuns()
    {
        var graph = MainGraph(out var x, out var cond);
        graph.AddOutput(AddTwoBranchIf(graph, x, cond, "y").Output());
        var bytes = Write(graph);

        float[] a = [-1f, 0.5f, 2f, 3f], b = [10f, -4f, 0f, 1f], c = [7f, 8f, -9f, 6f];
        var stats = Calibrator.Collect(bytes, ["doubled", "shifted"], [Sample(a, true), Sample(b, false), Sample(c, true)], Settings);

        // doubled ran on a and c only; shifted on b only.
        Assert.Equal(-18f, stats.Tensors["doubled"].Min);
        Assert.Equal(16f, stats.Tensors["doubled"].Max);
        Assert.Equal(8, stats.Tensors["doubled"].Count);
        Assert.Equal(-5f, stats.Tensors["shifted"].Min);
        Assert.Equal(9f, stats.Tensors["shifted"].Max);
        Assert.Equal(4, stats.Tensors["shifted"].Count);
    }

    [Fact]
    public void ALoopBodyTensorIsObservedOnEveryIteration()
    {
        var graph = new Graph("main");
        var x = graph.AddInput("x", new TensorTypeInfo(ElementType.Float, new Shape(2)));
        var trips = graph.AddInitializer(Tensor.Scalar("trips", 3L));
        var start = graph.AddInitializer(Tensor.FromArray("start", new[] { 0f, 0f }, 2));
        var body = new Graph("body");
        body.AddInput("i", new TensorTypeInfo(ElementType.Int64, new Shape(Array.Empty<long>())));
        var condIn = body.AddInput("cond_in", new TensorTypeInfo(ElementType.Bool, new Shape(Array.Empty<long>())));
        var carried = body.AddInput("acc", new TensorTypeInfo(ElementType.Float, new Shape(2)));
        var next = body.AddNode("Add", [carried, x], ["acc_next"]).Output();
        body.AddOutput(body.AddNode("Identity", [condIn], ["cond_out"]).Output());
        body.AddOutput(next);
        var loop = graph.AddNode("Loop", [trips, null, start], ["final"], [Attribute.FromGraph("body", body)]);
        loop.Output().Type = new TensorTypeInfo(ElementType.Float, new Shape(2));
        graph.AddOutput(loop.Output());
        var bytes = Write(graph);

        var stats = Calibrator.Collect(bytes, ["acc_next", "acc"], [new Sample("s", "test", new Dictionary<string, HostTensor> { ["x"] = HostTensor.FromArray(new[] { 1.5f, -2f }, [2]) })], Settings);

        // acc_next takes x, 2x, 3x; the body input acc takes 0, x, 2x.
        Assert.Equal(6, stats.Tensors["acc_next"].Count);
        Assert.Equal(-6f, stats.Tensors["acc_next"].Min);
        Assert.Equal(4.5f, stats.Tensors["acc_next"].Max);
        Assert.Equal(-4f, stats.Tensors["acc"].Min);
        Assert.Equal(3f, stats.Tensors["acc"].Max);
    }

    [Fact]
    public void ABranchOutputItselfIsObservedLikeAnyOtherBranchTensor()
    {
        var graph = MainGraph(out var x, out var cond);
        graph.AddOutput(AddTwoBranchIf(graph, x, cond, "y").Output());
        var bytes = Write(graph);

        float[] a = [-1f, 0.5f, 2f, 3f], b = [10f, -4f, 0f, 1f];
        foreach (var session in new[] { SessionSettings.ForComparison, SessionSettings.ForSpeed })
            Check(Calibrator.Collect(bytes, ["then_out", "else_out", "y"], [Sample(a, true), Sample(b, false)], Settings with { Session = session }));
    }

    private static void Check(CalibrationStatistics stats)
    {
        // then_out = relu(2x) on a only, else_out = relu(x - 1) on b only, y is whichever ran
        Assert.Equal((0f, 6f, 4L), Observed(stats, "then_out"));
        Assert.Equal((0f, 9f, 4L), Observed(stats, "else_out"));
        Assert.Equal((0f, 9f, 8L), Observed(stats, "y"));
    }

    private static (float Min, float Max, long Count) Observed(CalibrationStatistics stats, string name) =>
        (stats.Tensors[name].Min, stats.Tensors[name].Max, stats.Tensors[name].Count);

    [Fact]
    public void ATensorTwoBodiesDownWhoseInnerBranchDidNotRunAddsNothing()
    {
        // main: If(cond) { then: If(inner) { doubled = 2x ... } else { shifted = x - 1 ... } } else { negated = -x }
        var graph = MainGraph(out var x, out var outer);
        var inner = graph.AddInput("inner", new TensorTypeInfo(ElementType.Bool, new Shape(Array.Empty<long>())));
        var outerThen = new Graph("outer_then");
        outerThen.AddOutput(AddTwoBranchIf(outerThen, x, inner, "inner_y").Output());
        var outerElse = new Graph("outer_else");
        outerElse.AddOutput(outerElse.AddNode("Neg", [x], ["negated"]).Output());
        var node = graph.AddNode("If", [outer], ["z"], [Attribute.FromGraph("then_branch", outerThen), Attribute.FromGraph("else_branch", outerElse)]);
        node.Output().Type = new TensorTypeInfo(ElementType.Float, new Shape(4));
        graph.AddOutput(node.Output());
        var bytes = Write(graph);

        float[] a = [-1f, 0.5f, 2f, 3f], b = [10f, -4f, 0f, 1f], c = [1f, 1f, 1f, 5f];
        Sample S(float[] v, bool o, bool i) => new("s", "test", new Dictionary<string, HostTensor>
        {
            ["x"] = HostTensor.FromArray(v, [4]), ["cond"] = HostTensor.FromArray(new[] { o }, []), ["inner"] = HostTensor.FromArray(new[] { i }, []),
        });
        foreach (var session in new[] { SessionSettings.ForComparison, SessionSettings.ForSpeed })
        {
            var stats = Calibrator.Collect(bytes, ["doubled", "shifted", "negated", "then_out", "else_out"], [S(a, true, true), S(b, true, false), S(c, false, true)], Settings with { Session = session });

            // a runs both thens, b the outer then and the inner else, c the outer else
            Assert.Equal((-2f, 6f, 4L), Observed(stats, "doubled"));
            Assert.Equal((-5f, 9f, 4L), Observed(stats, "shifted"));
            Assert.Equal((0f, 6f, 4L), Observed(stats, "then_out"));
            Assert.Equal((0f, 9f, 4L), Observed(stats, "else_out"));
            Assert.Equal((-5f, -1f, 4L), Observed(stats, "negated"));
        }
    }

    internal static Graph MainGraph(out Value x, out Value cond)
    {
        var graph = new Graph("main");
        x = graph.AddInput("x", new TensorTypeInfo(ElementType.Float, new Shape(4)));
        cond = graph.AddInput("cond", new TensorTypeInfo(ElementType.Bool, new Shape(Array.Empty<long>())));
        return graph;
    }

    /// <summary>If(cond) { doubled = factor·x; then_out = relu(doubled) } else { shifted = x - 1; else_out = relu(shifted) }.</summary>
    internal static Node AddTwoBranchIf(Graph host, Value x, Value cond, string output, float factor = 2f)
    {
        var then = new Graph("then");
        var doubled = then.AddNode("Mul", [x, then.AddInitializer(Tensor.Scalar("two", factor))], ["doubled"]).Output();
        doubled.Type = new TensorTypeInfo(ElementType.Float, new Shape(4));
        then.AddOutput(then.AddNode("Relu", [doubled], ["then_out"]).Output());
        var other = new Graph("else");
        var shifted = other.AddNode("Sub", [x, other.AddInitializer(Tensor.Scalar("one", 1f))], ["shifted"]).Output();
        shifted.Type = new TensorTypeInfo(ElementType.Float, new Shape(4));
        other.AddOutput(other.AddNode("Relu", [shifted], ["else_out"]).Output());
        var node = host.AddNode("If", [cond], [output], [Attribute.FromGraph("then_branch", then), Attribute.FromGraph("else_branch", other)]);
        node.Output().Type = new TensorTypeInfo(ElementType.Float, new Shape(4));
        return node;
    }

    internal static byte[] Write(Graph graph)
    {
        var model = new Model(graph) { IrVersion = 8 };
        model.SetOpset("", 13);
        return ModelWriter.ToBytes(model);
    }

    internal static Sample Sample(float[] x, bool cond) => new("s", "test", new Dictionary<string, HostTensor>
    {
        ["x"] = HostTensor.FromArray(x, [4]),
        ["cond"] = HostTensor.FromArray(new[] { cond }, []),
    });
}
