using Optimizer.Onnx.IR;
using Optimizer.Passes.Analysis;
using Optimizer.Passes.Precision;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Precision;

public class CastCleanupTests
{
    private static Value Cast(GraphBuilder b, Value x, ElementType to) => b.Op("Cast", [x], ("to", (long)to));

    [Fact]
    public void AHalfRoundTripThroughFloat32IsRemoved()
    {
        // x: f16 -> f32 -> f16 returns x bit for bit
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float16, 1, 4);
        b.Output(b.Op("Relu", [Cast(b, Cast(b, x, ElementType.Float), ElementType.Float16)]));
        var run = PassHarness.Run(b.Model, new InferShapes(), new CastCleanup());
        Assert.Equal("Relu", run.Ops);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void AFloat32RoundTripThroughHalfIsKeptBecauseItRounds()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 4);
        b.Output(b.Op("Relu", [Cast(b, Cast(b, x, ElementType.Float16), ElementType.Float)]));
        var run = PassHarness.Run(b.Model, new InferShapes(), new CastCleanup());
        Assert.Equal("Cast,Cast,Relu", run.Ops);
        var inputs = new Dictionary<string, TestTensor> { ["x"] = new(ElementType.Float, [1, 4], new[] { 1e5f, 0.1f, 1f / 3, 2f }) };
        var output = OrtRunner.Run(b.Model, inputs).Values.Single().AsDoubles();
        Assert.True(double.IsInfinity(output[0]));
        Assert.NotEqual(0.1f, (float)output[1]);
    }

    [Fact]
    public void DuplicateCastsOfOneValueMergeAndCastsToTheSameTypeGo()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 4);
        var a = Cast(b, x, ElementType.Float16);
        var c = Cast(b, x, ElementType.Float16);
        var same = Cast(b, x, ElementType.Float);
        b.Output(b.Op("Add", [a, c]), b.Op("Neg", [same]));
        var run = PassHarness.Run(b.Model, new InferShapes(), new CastCleanup());
        Assert.Equal("Cast,Add,Neg", run.Ops);
        run.AssertSameOutputs(0);
    }

    [Fact]
    public void ACastThatIsAGraphOutputIsNotMergedAway()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 4);
        var a = Cast(b, x, ElementType.Float16);
        b.Output(a, Cast(b, x, ElementType.Float16));
        var run = PassHarness.Run(b.Model, new InferShapes(), new CastCleanup());
        Assert.Equal("Cast,Cast", run.Ops);
        run.AssertDeclined("graph output");
    }
}
