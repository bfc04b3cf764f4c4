using Google.Protobuf;
using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Onnx.Tests.Serialization;

/// <summary>
/// Empty input names (""): absent optional inputs at the end of a node are written by leaving them out; in the middle
/// they stay ""; where ONNX allows none (a variadic list) the model is refused, by the reader and before ONNX Runtime
/// opens the file (which dies of SIGSEGV on <c>Max(x, "")</c>).
/// </summary>
public sealed class EmptyInputTests : IDisposable
{
    private readonly TempDir _dir = TestPaths.NewTempDir();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Absent_inputs_at_the_end_are_left_out_and_those_in_the_middle_kept()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 4);
        var scale = b.Initializer("scale", [1f, 2f, 3f, 4f], 4);
        var max = b.Initializer("max", [0.5f]);
        var ln = b.Op("LayerNormalization", [x, scale, null]);
        b.Output(b.Op("Clip", [ln, null, max]));
        var proto = ModelProto.Parser.ParseFrom(ModelWriter.ToBytes(b.Build()));

        var nodes = proto.Graph.Node.ToDictionary(n => n.OpType);
        Assert.Equal(["x", "scale"], nodes["LayerNormalization"].Input);
        Assert.Equal([ln.Name, "", "max"], nodes["Clip"].Input);
    }

    [Theory]
    [InlineData("Max")]
    [InlineData("Concat")]
    [InlineData("Sum")]
    public void An_empty_name_in_a_variadic_list_is_refused_by_the_reader_and_the_file_check(string op)
    {
        var path = WriteWithEmptySecondInput(op);

        var read = Assert.Throws<InvalidInputException>(() => ModelReader.Read(path));
        Assert.Contains($"input 1 is empty (\"\"), but {op}'s inputs are not optional", read.Message);
        var check = Assert.Throws<InvalidInputException>(() => ExternalDataPaths.CheckModelFile(path));
        Assert.Contains($"{op}'s inputs are not optional", check.Message);
    }

    [Fact]
    public void The_file_check_reports_inputs_that_end_empty_and_reads_them_as_absent()
    {
        var path = WriteWithEmptySecondInput("Max", appendEmpty: false);
        Assert.False(ExternalDataPaths.CheckModelFile(path).TrailingEmptyInputs);

        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 4);
        b.Output(b.Op("LayerNormalization", [x, b.Initializer("scale", [1f, 1f, 1f, 1f], 4)]));
        var proto = ModelProto.Parser.ParseFrom(ModelWriter.ToBytes(b.Build()));
        proto.Graph.Node[0].Input.Add("");
        var ln = _dir.File("ln.onnx");
        File.WriteAllBytes(ln, proto.ToByteArray());

        Assert.True(ExternalDataPaths.CheckModelFile(ln).TrailingEmptyInputs);
        var node = ModelReader.Read(ln).Graph.Nodes.Single();
        Assert.Null(node.Inputs[2]);
        var stripped = ModelProto.Parser.ParseFrom(TrailingEmptyInputs.Strip(ln));
        Assert.Equal(2, stripped.Graph.Node[0].Input.Count);
    }

    /// <summary>A two-input <paramref name="op"/> whose second input is then renamed "" in the file (the writer never writes that).</summary>
    private string WriteWithEmptySecondInput(string op, bool appendEmpty = true)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 3);
        var y = b.Input("y", ElementType.Float, 3);
        b.Output(op == "Concat" ? b.Op(op, [x, y], ("axis", 0L)) : b.Op(op, [x, y]));
        var proto = ModelProto.Parser.ParseFrom(ModelWriter.ToBytes(b.Build()));
        if (appendEmpty) proto.Graph.Node[0].Input[1] = "";
        var path = _dir.File($"{op}.onnx");
        File.WriteAllBytes(path, proto.ToByteArray());
        return path;
    }
}
