using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Cli.Tests;

/// <summary>
/// <c>optimize</c> on a model whose batch is stored as dim_value -1 (PaddlePaddle's exporter) and whose width as
/// dim_param "?": the written model loads in ONNX Runtime and computes what the input computes at any batch, and
/// --shapes takes a size for those dims.
/// </summary>
public sealed class UnknownDimCommandTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    private string Write(byte[] bytes, string name = "paddle.onnx")
    {
        var path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static Dictionary<string, TestTensor> Input(long batch, long width) =>
        new() { ["x"] = OrtRunner.Random(ElementType.Float, [batch, 2, 3, width], new Random((int)(batch * 100 + width))) };

    private static void AssertSameOutputs(byte[] before, string after, long batch, long width)
    {
        var inputs = Input(batch, width);
        var expected = OrtRunner.Run(before, inputs)["y"];
        var actual = OrtRunner.RunFile(after, inputs)["y"];
        Assert.Equal(expected.Dims, actual.Dims);
        Assert.True(OrtRunner.RelativeError(expected.AsDoubles(), actual.AsDoubles()) < 1e-5, $"batch {batch}: outputs differ");
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(-2L)]
    public void The_written_model_loads_and_matches_the_input_at_batch_1_and_2(long stored)
    {
        var bytes = ExporterDims.ReshapeByBatch(stored, "?");
        var result = CliRunner.Run(Write(bytes), "-o", _dir.File("out"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        var written = _dir.File("out/model.onnx");
        AssertSameOutputs(bytes, written, 1, 5);
        AssertSameOutputs(bytes, written, 2, 7);
        // The batch is read off the input at run time: by the Shape -> Gather chain, or by a target that copies it (0).
        var target = ModelReader.Read(written).Graph.Nodes.Single(n => n.OpType == "Reshape").Inputs[1]!.GetConstant()?.ToArray<long>();
        Assert.True(target is null or [0, 6, -1], $"Reshape target [{string.Join(", ", target ?? [])}]");
    }

    [Fact]
    public void Shapes_takes_a_size_for_the_stored_minus_one_and_question_marks()
    {
        // Two dims named "?" of different sizes: "?" names no size, so they need not be equal.
        var model = ExporterDims.ReshapeByBatch(-1, "?");
        var proto = Onnx.Protobuf.ModelProto.Parser.ParseFrom(model);
        proto.Graph.Input[0].Type.TensorType.Shape.Dim[2].DimParam = "?";
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(proto);

        var result = CliRunner.Run(Write(bytes), "-o", _dir.File("out"), "--shapes", "x:2x2x3x5");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var written = ModelReader.Read(_dir.File("out/model.onnx"));
        Assert.Equal("f32[2,2,3,5]", written.Graph.Inputs[0].Type!.ToString());
        Assert.Equal("f32[2,5,4]", written.Graph.Outputs[0].Type!.ToString());
        Assert.DoesNotContain(written.Graph.Nodes, n => n.OpType == "Shape");
        var inputs = new Dictionary<string, TestTensor> { ["x"] = OrtRunner.Random(ElementType.Float, [2, 2, 3, 5], new Random(3)) };
        var expected = OrtRunner.Run(bytes, inputs)["y"];
        var actual = OrtRunner.RunFile(_dir.File("out/model.onnx"), inputs)["y"];
        Assert.True(OrtRunner.RelativeError(expected.AsDoubles(), actual.AsDoubles()) < 1e-5);
    }

    [Fact]
    public void A_named_symbol_still_takes_one_size_and_a_stored_size_its_own()
    {
        var named = Write(ExporterDims.ReshapeByBatch("N", "W"), "named.onnx");
        var proto = Onnx.Protobuf.ModelProto.Parser.ParseFrom(File.ReadAllBytes(named));
        proto.Graph.Input[0].Type.TensorType.Shape.Dim[2].DimParam = "W";
        File.WriteAllBytes(named, Google.Protobuf.MessageExtensions.ToByteArray(proto));
        var twoSizes = CliRunner.Run(named, "-o", _dir.File("a"), "--shapes", "x:2x2x3x5");
        Assert.Equal(2, twoSizes.ExitCode);
        Assert.Contains("gives dim 'W' two sizes, 3 and 5", twoSizes.Stderr);

        var fixedBatch = CliRunner.Run(Write(ExporterDims.ReshapeByBatch(3, "?"), "fixed.onnx"), "-o", _dir.File("b"), "--shapes", "x:2x2x3x5");
        Assert.Equal(2, fixedBatch.ExitCode);
        Assert.Contains("that dim is fixed at 3", fixedBatch.Stderr);
        Assert.False(File.Exists(_dir.File("a/model.onnx")));
        Assert.False(File.Exists(_dir.File("b/model.onnx")));
    }
}
