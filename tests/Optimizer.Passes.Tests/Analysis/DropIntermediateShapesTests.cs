using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Analysis;

using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Analysis;

public sealed class DropIntermediateShapesTests
{
    [Fact]
    public void IntermediateValuesKeepTheirTypeButNotTheirShapeAndTheOutputsStayTheSame()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 8);
        var h = b.Op("MatMul", [x, b.RandomInitializer("w", 1f, 8, 8)]);
        var r = b.Op("Add", [h, x]);
        b.Output(b.Op("Relu", [r]));
        var run = PassHarness.Run(b.Model, new InferShapes(), new DropIntermediateShapes());

        var written = ModelReader.Read(new MemoryStream(ModelWriter.ToBytes(run.Model)), null);
        var inner = written.Graph.Nodes.SelectMany(n => n.Outputs).OfType<Value>().Where(v => !v.IsGraphOutput).ToList();
        Assert.Equal(2, inner.Count);
        Assert.All(inner, v => Assert.Equal(ElementType.Float, v.ElementType));
        Assert.All(inner, v => Assert.Null(v.Shape));
        Assert.Equal([2L, 8L], written.Graph.Outputs[0].Shape!.TryGetStatic()!);
        Assert.Equal([2L, 8L], written.Graph.Inputs[0].Shape!.TryGetStatic()!);
        Assert.Equal(0, run.MaxRelativeError());
    }

    [Fact]
    public void AModelWithoutInferredShapesIsLeftAsItIs()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 4);
        b.Output(b.Op("Relu", [x]));
        var run = PassHarness.Run(b.Model, new DropIntermediateShapes());
        Assert.False(run.Records[0].Changed);
        Assert.Empty(run.Declines);
    }
}
