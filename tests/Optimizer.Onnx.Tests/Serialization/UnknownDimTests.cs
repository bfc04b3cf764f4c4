using Optimizer.Onnx.Errors;
using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Protobuf;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;

namespace Optimizer.Onnx.Tests.Serialization;

/// <summary>
/// Dims stored as no size: a negative dim_value (PaddlePaddle writes -1 for a dynamic batch) and a dim_param of ""
/// or "?" are read as unknown dims, as ONNX Runtime reads them, wherever a shape is read; an unchanged model is
/// written back as it was read, and ONNX Runtime runs it at any size there.
/// </summary>
public sealed class UnknownDimTests
{
    private static Model Read(byte[] bytes) => ModelReader.Read(new MemoryStream(bytes), null);

    private static TestTensor Input(long batch, long width, int seed = 7) =>
        OrtRunner.Random(ElementType.Float, [batch, 2, 3, width], new Random(seed));

    [Theory]
    [InlineData(-1L)]
    [InlineData(-2L)]
    [InlineData(long.MinValue)]
    public void A_negative_dim_value_is_an_unknown_dim_in_inputs_and_outputs(long stored)
    {
        var model = Read(ExporterDims.ReshapeByBatch(stored, "?"));

        Assert.Equal(Dim.Unknown, model.Graph.Inputs[0].Shape![0]);
        Assert.Equal(Dim.Unknown, model.Graph.Outputs[0].Shape![0]);
        Assert.Equal("f32[?,2,3,?]", model.Graph.Inputs[0].Type!.ToString());
    }

    [Theory]
    [InlineData("?")]
    [InlineData("")]
    public void A_dim_param_of_question_mark_or_empty_names_no_size(string param)
    {
        var model = Read(ExporterDims.ReshapeByBatch(-1, param));
        Assert.Equal(Dim.Unknown, model.Graph.Inputs[0].Shape![3]);

        // a real name is still a symbol, shared by the dims that carry it
        var named = Read(ExporterDims.ReshapeByBatch("N", "W"));
        Assert.Equal(Dim.Symbol("W"), named.Graph.Inputs[0].Shape![3]);
        Assert.Equal(Dim.Symbol("N"), named.Graph.Outputs[0].Shape![0]);
    }

    [Fact]
    public void Value_info_and_subgraph_shapes_are_read_the_same_way()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        var cond = b.Input("c", ElementType.Bool);
        var then = new Graph("then");
        then.AddOutput(b.NodeIn(then, "Relu", [x], 1, []).Output());
        then.Outputs[0].Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(2, 3));
        var otherwise = new Graph("else");
        otherwise.AddOutput(b.NodeIn(otherwise, "Neg", [x], 1, []).Output());
        otherwise.Outputs[0].Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(2, 3));
        var relu = b.Op("Relu", [x]);
        relu.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(2, 3));
        var y = b.Op("If", [cond], ("then_branch", then), ("else_branch", otherwise));
        b.Output(b.Op("Add", [y, relu]));
        var proto = ModelProto.Parser.ParseFrom(ModelWriter.ToBytes(b.Build()));
        proto.Graph.ValueInfo.Single(v => v.Name == relu.Name).Type.TensorType.Shape.Dim[0].DimValue = -1;
        var branch = proto.Graph.Node.Single(n => n.OpType == "If").Attribute.Single(a => a.Name == "then_branch").G;
        branch.Output[0].Type.TensorType.Shape.Dim[1].DimValue = -1;

        var model = Read(Google.Protobuf.MessageExtensions.ToByteArray(proto));

        Assert.Equal("f32[?,3]", model.Graph.Nodes.Single(n => n.OpType == "Relu" && n.Graph == model.Graph).Output().Type!.ToString());
        var read = model.Graph.Nodes.Single(n => n.OpType == "If").Attributes.Single(a => a.Name == "then_branch").Graph!;
        Assert.Equal("f32[2,?]", read.Outputs[0].Type!.ToString());
    }

    [Fact]
    public void An_unchanged_model_is_written_back_as_read_and_a_changed_dim_as_neither_value_nor_param()
    {
        var bytes = ExporterDims.ReshapeByBatch(-1, "?");
        var model = Read(bytes);
        Assert.Equal(bytes, ModelWriter.ToBytes(model));

        var input = model.Graph.Inputs[0];
        input.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(null!, 2, 3, 5));
        var written = ModelProto.Parser.ParseFrom(ModelWriter.ToBytes(model)).Graph.Input[0].Type.TensorType.Shape.Dim;
        Assert.Equal(TensorShapeProto.Types.Dimension.ValueOneofCase.None, written[0].ValueCase);
        Assert.Equal(5, written[3].DimValue);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(-2L)]
    public void Onnx_runtime_runs_such_a_model_at_any_batch(long stored)
    {
        // The reference for how the stored dims are read: ONNX Runtime loads and runs the model as stored.
        var bytes = ExporterDims.ReshapeByBatch(stored, "?");
        foreach (var batch in new long[] { 1, 2 })
        {
            var y = OrtRunner.Run(bytes, new Dictionary<string, TestTensor> { ["x"] = Input(batch, 5) })["y"];
            Assert.Equal([batch, 5, 4], y.Dims);
        }
    }

    [Fact]
    public void Shape_inference_keeps_the_batch_unknown_and_does_not_fold_it()
    {
        var model = Read(ExporterDims.ReshapeByBatch(-1, "?"));
        ShapeInference.Run(model);

        var gather = model.Graph.Nodes.Single(n => n.OpType == "Gather").Output();
        Assert.Null(gather.GetConstant());
        Assert.Equal(Dim.Unknown, model.Graph.Outputs[0].Shape![0]);
        Assert.Equal(4, model.Graph.Outputs[0].Shape![2].Value);
    }

    [Fact]
    public void Fixing_the_unknown_dims_takes_any_size_while_a_named_symbol_still_takes_one()
    {
        var model = Read(ExporterDims.ReshapeByBatch(-1, "?"));
        ShapeInference.FixInputDims(model, new Dictionary<string, long[]> { ["x"] = [2, 2, 3, 5] });
        Assert.Equal("f32[2,2,3,5]", model.Graph.Inputs[0].Type!.ToString());

        var fixedAt = Read(ExporterDims.ReshapeByBatch(4, "?"));
        var e = Assert.Throws<InvalidInputException>(() => ShapeInference.FixInputDims(fixedAt, new Dictionary<string, long[]> { ["x"] = [2, 2, 3, 5] }));
        Assert.Contains("that dim is fixed at 4", e.Message);
    }
}
