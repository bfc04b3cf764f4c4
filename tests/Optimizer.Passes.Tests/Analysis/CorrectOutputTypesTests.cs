using Optimizer.Onnx.IR;
using Optimizer.Passes.Analysis;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Analysis;

public sealed class CorrectOutputTypesTests
{
    /// <summary>x [8, 1, 5] → Softmax over the classes, its output declared <paramref name="declared"/> (as ddddocr's CRNN declares [1, seqlen]).</summary>
    private static GraphBuilder TimeMajorScores(params object[] declared)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 8, 1, 5);
        var y = b.Op("Softmax", [x], ("axis", 2));
        y.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(declared));
        b.Output(y);
        return b;
    }

    [Fact]
    public void AnOutputDeclaredWithTheWrongRankGetsTheShapeItComputes()
    {
        var b = TimeMajorScores(1, "seqlen");
        var name = b.Graph.Outputs[0].Name;
        var run = PassHarness.Run(b.Model, new CorrectOutputTypes());
        var output = run.Model.Graph.Outputs.Single();
        Assert.Equal(name, output.Name);
        Assert.Equal([8L, 1L, 5L], output.Shape!.TryGetStatic()!);
        Assert.True(run.Records[0].Changed);
        Assert.Equal(0, run.MaxRelativeError());
    }

    [Fact]
    public void ARightOrUncheckableDeclarationIsKept()
    {
        var right = PassHarness.Run(TimeMajorScores(8, 1, 5).Model, new CorrectOutputTypes());
        Assert.False(right.Records[0].Changed);
        Assert.Equal([8L, 1L, 5L], right.Model.Graph.Outputs.Single().Shape!.TryGetStatic()!);

        // a Reshape to a shape of any length given at run time: inference cannot tell the rank, so the declared [2, 6] stays
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 12);
        var s = b.Input("s", ElementType.Int64, "n");
        var y = b.Op("Reshape", [x, s]);
        y.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(2, 6));
        b.Output(y);
        var run = PassHarness.Run(b.Model, new CorrectOutputTypes());
        Assert.False(run.Records[0].Changed);
        Assert.Equal([2L, 6L], run.Model.Graph.Outputs.Single().Shape!.TryGetStatic()!);
        run.AssertDeclined("inference cannot tell the rank of graph output");
    }
}
