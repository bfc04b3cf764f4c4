using Optimizer.Onnx.IR;
using Optimizer.Onnx.Printing;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Onnx.Tests.Printing;

public class GraphPrinterTests
{
    /// <summary>The text form is a contract for golden tests: it must not drift.</summary>
    [Fact]
    public void ASmallGraphPrintsAsTheGoldenFile()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "batch", 3, 8, 8);
        var w = b.Initializer("w", new float[4 * 3 * 3 * 3], 4, 3, 3, 3);
        var conv = b.Op("Conv", [x, w, null], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }));
        var relu = b.Op("Relu", [conv]);
        b.Output(relu);
        var golden = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests/Optimizer.Onnx.Tests/Golden/conv_relu.txt"));
        Assert.Equal(golden, GraphPrinter.Print(b.Model));
    }

    [Fact]
    public void PrintingIsStableAcrossARoundTrip()
    {
        var printed = 0;
        foreach (var path in TestPaths.SharedModelFiles())
        {
            var model = ModelReader.Read(path);
            var again = ModelReader.Read(new MemoryStream(ModelWriter.ToBytes(model)), Path.GetDirectoryName(path));
            Assert.Equal(GraphPrinter.Print(model), GraphPrinter.Print(again));
            printed++;
        }
        Assert.True(printed >= TestPaths.MinSharedModels, $"only {printed} shared models printed");
    }

    [Fact]
    public void SubgraphsPrintIndentedUnderTheirNode()
    {
        var text = GraphPrinter.Print(ModelReader.Read(TestPaths.SharedModel("silero_vad_legacy.onnx")));
        Assert.Contains("    then_branch:\n", text);
        Assert.Contains("= LSTM(", text);
    }
}
