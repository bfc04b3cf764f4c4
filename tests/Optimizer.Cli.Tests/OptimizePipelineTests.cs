using System.Text.Json;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary><c>optimize MODEL</c> with the pass pipeline: default passes, --passes, --no-fuse, --explain, --opset, and the report.</summary>
public class OptimizePipelineTests
{
    [Fact]
    public void DefaultPipelineReportsWhatEachPassChanged()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TestPaths.SharedModel("mobilenet_v2_bn.onnx"), "-o", dir.Path, "--verify");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("100 nodes; input had 222 nodes, 70 of them Constant nodes holding weights", result.Stdout);
        Assert.Contains("fuse-batchnorm: nodes -52 +0, initializers -0 +104, 8.42 MiB of new weights", result.Stdout);
        // Moving Constant nodes to initializers is not an optimization, and is not shown as removed computation.
        Assert.Contains("constants-to-initializers: 70 Constant nodes made initializers (no computation removed)", result.Stdout);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var passes = report.RootElement.GetProperty("passResults").EnumerateArray()
            .Where(p => p.GetProperty("name").GetString() != "infer-shapes") // runs three times
            .ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal(52, passes["fuse-batchnorm"].GetProperty("nodesRemoved").GetInt32());
        Assert.Equal(70, passes["constants-to-initializers"].GetProperty("nodesRemoved").GetInt32());
        Assert.Equal(70, passes["constants-to-initializers"].GetProperty("constantNodesRemoved").GetInt32());
        Assert.Equal(104, passes["fuse-batchnorm"].GetProperty("initializersAdded").GetInt32());
        Assert.True(passes["eliminate-dead-code"].GetProperty("bytesSaved").GetInt64() > 0);
        Assert.Equal(100, ModelReader.Read(dir.File("model.onnx")).Graph.Nodes.Count);
        Assert.Contains("| fuse-batchnorm | 1 | 52 | nodes -52 +0, initializers -0 +104,", File.ReadAllText(dir.File("report.md")));
    }

    [Fact]
    public void PassesRunsExactlyTheNamedPasses()
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TestPaths.SharedModel("squeezenet1_1.onnx"), "-o", dir.Path, "--passes", "eliminate-identity,eliminate-dead-code", "--json");
        Assert.Equal(0, result.ExitCode);
        using var report = JsonDocument.Parse(result.Stdout);
        Assert.Equal(["eliminate-identity", "eliminate-dead-code"], report.RootElement.GetProperty("passes").EnumerateArray().Select(p => p.GetString()!));
        Assert.Equal(65, report.RootElement.GetProperty("after").GetProperty("nodeCount").GetInt32());
    }

    [Fact]
    public void NoFuseKeepsTheGraphAsItIs()
    {
        using var dir = TestPaths.NewTempDir();
        Assert.Equal(0, CliRunner.Run(TestPaths.SharedModel("squeezenet1_1.onnx"), "-o", dir.Path, "--no-fuse").ExitCode);
        Assert.Equal(83, ModelReader.Read(dir.File("model.onnx")).Graph.Nodes.Count);
    }

    [Fact]
    public void ExplainPrintsWhyARewriteDeclined()
    {
        using var dir = TestPaths.NewTempDir();
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 4, 4);
        var y = b.Op("Conv", [x, b.RandomInitializer("w", 1f, 2, 3, 1, 1)]);
        var bn = b.Op("BatchNormalization", [y, b.Initializer("s", new[] { 1f, 2f }, 2), b.Initializer("b", new[] { 0f, 1f }, 2),
            b.Initializer("m", new[] { 0f, 0f }, 2), b.Initializer("v", new[] { 1f, 1f }, 2)]);
        b.Output(bn, b.Op("Relu", [y]));
        ModelWriter.Write(b.Model, dir.File("shared.onnx"));
        var result = CliRunner.Run(dir.File("shared.onnx"), "-o", dir.File("out"), "--explain");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("fuse-batchnorm: BatchNormalization", result.Stdout);
        Assert.Contains("the Conv output is also used elsewhere", result.Stdout);
    }

    [Fact]
    public void ShapesFixesDynamicInputDims()
    {
        using var dir = TestPaths.NewTempDir();
        Assert.Equal(0, CliRunner.Run(TestPaths.SharedModel("bert_mini.onnx"), "-o", dir.Path, "--shapes", "input_ids:2x16,attention_mask:2x16").ExitCode);
        var model = ModelReader.Read(dir.File("model.onnx"));
        Assert.Equal("i64[2,16]", model.Graph.Inputs[0].Type!.ToString());
        Assert.Equal("f32[2,16,256]", model.Graph.Outputs[0].Type!.ToString());
        Assert.DoesNotContain(model.Graph.Nodes, n => n.OpType == "Shape");
    }

    [Theory]
    [InlineData("--shapes", "input:1x3xQ", "is not a dimension size")]
    [InlineData("--passes", "fold-constants,no-such-pass", "unknown pass 'no-such-pass'")]
    [InlineData("--opset", "9", "only upgrades are supported")]
    public void BadPipelineOptionsAreRefused(string option, string value, string message)
    {
        using var dir = TestPaths.NewTempDir();
        var result = CliRunner.Run(TestPaths.SharedModel("squeezenet1_1.onnx"), "-o", dir.Path, option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.False(File.Exists(dir.File("model.onnx")));
    }

    [Fact]
    public void PassesCommandListsEveryPassWithADescription()
    {
        var result = CliRunner.Run("passes");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Optimizer.Passes.Infrastructure.PassRegistry.All.Count, lines.Length);
        Assert.StartsWith("constants-to-initializers", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("fuse-batchnorm") && l.Contains("BatchNormalization"));
    }
}
