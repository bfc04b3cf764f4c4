using Optimizer.Onnx.IR;
using Optimizer.Passes.Quantization;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Quantization;

/// <summary>
/// The embedding tables of a static INT8 model: stored int8 with a scale per row, as dynamic INT8 stores them, unless
/// small or kept float by the budget.
/// </summary>
public sealed class EmbeddingQuantizationTests
{
    private static (GraphBuilder B, Node Gather) Embedding(long rows)
    {
        var b = new GraphBuilder();
        var ids = b.Input("ids", ElementType.Int64, 2, 7);
        var rowsOut = b.Op("Gather", [b.RandomInitializer("table", 1f, rows, 64), ids]);
        rowsOut.Producer!.Name = "embed";
        b.Output(b.Op("MatMul", [rowsOut, b.RandomInitializer("w", 0.2f, 64, 8)]));
        return (b, rowsOut.Producer);
    }

    [Fact]
    public void ALargeTableIsStoredInt8AndOnlyThePickedRowsAreDequantized()
    {
        var (b, _) = Embedding(4096);
        var pass = new EmbeddingQuantization(new QuantizationSettings());
        var run = PassHarness.Run(b.Model, pass);

        Assert.Equal(["embed"], pass.Quantized);
        Assert.Equal("Gather,Gather,Cast,Mul,MatMul", run.Ops);
        Assert.Equal(ElementType.Int8, b.Graph.Nodes[0].Input(0)!.Initializer!.ElementType);
        Assert.DoesNotContain(b.Graph.Initializers, v => v.Name == "table");
        Assert.InRange(run.MaxRelativeError(), 1e-6, 0.02);
    }

    [Fact]
    public void ASmallTableOrOneTheBudgetKeepsFloatIsLeftAsItIs()
    {
        var (small, _) = Embedding(64); // 16 KiB: a position or token-type table
        var run = PassHarness.Run(small.Model, new EmbeddingQuantization(new QuantizationSettings()));
        Assert.Equal("Gather,MatMul", run.Ops);
        run.AssertDeclined("small tables stay float");

        var (kept, _) = Embedding(4096);
        var keptRun = PassHarness.Run(kept.Model, new EmbeddingQuantization(new QuantizationSettings { KeepFloat = new HashSet<string> { "embed" } }));
        Assert.Equal("Gather,MatMul", keptRun.Ops);
        keptRun.AssertDeclined("kept in float");
    }
}
