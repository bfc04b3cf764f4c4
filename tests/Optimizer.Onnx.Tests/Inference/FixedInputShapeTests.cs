using Optimizer.Onnx.Errors;
using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;
using static Optimizer.Onnx.Tests.Inference.InferenceTestHelpers;

namespace Optimizer.Onnx.Tests.Inference;

/// <summary>The --shapes option: parsing, validation, and a model made static by inference afterwards.</summary>
public class FixedInputShapeTests
{
    [Fact]
    public void Parse_splits_entries_and_each_at_its_last_colon()
    {
        var shapes = InputShapes.Parse("input:1x3x224x224,ns:ids:1x128");
        Assert.Equal([1L, 3, 224, 224], shapes["input"]);
        Assert.Equal([1L, 128], shapes["ns:ids"]);
    }

    [Theory]
    [InlineData("input")]
    [InlineData("input:")]
    [InlineData(":1x3")]
    [InlineData("input:1xAx3")]
    [InlineData("input:1x-3")]
    [InlineData("a:1,a:2")]
    [InlineData("")]
    public void Parse_rejects_malformed_text_as_invalid_input(string text)
    {
        var e = Assert.Throws<InvalidInputException>(() => InputShapes.Parse(text));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Fixed_inputs_make_a_dynamic_model_static_and_the_symbol_is_fixed_on_every_input()
    {
        var model = ModelReader.Read(TestPaths.SharedModel("bert_mini.onnx"));
        ShapeInference.Run(model);
        var output = model.Graph.Outputs[0];
        Assert.Equal("f32[batch,seq,256]", TypeOf(output));
        ShapeInference.FixInputDims(model, InputShapes.Parse("input_ids:1x128"));
        Assert.Equal("i64[1,128]", TypeOf(model.Graph.Inputs.Single(v => v.Name == "attention_mask")));
        var result = ShapeInference.Run(model);
        Assert.Empty(result.Diagnostics);
        Assert.Equal("f32[1,128,256]", TypeOf(output));
        var nodeOutputs = model.Graph.Nodes.SelectMany(n => n.Outputs).OfType<Value>().ToList();
        Assert.All(nodeOutputs, v => Assert.True(v.Shape?.IsStatic, $"{v.Name} is {TypeOf(v)}"));
    }

    [Theory]
    [InlineData("nope:1x3", "'nope'")]
    [InlineData("x:1x3", "rank 4")]
    [InlineData("x:1x4x8x8", "fixed at 3")]
    public void Bad_names_ranks_and_sizes_are_rejected_naming_the_input(string text, string expected)
    {
        var b = new GraphBuilder();
        b.Input("x", ElementType.Float, "N", 3, "H", "W");
        var e = Assert.Throws<InvalidInputException>(() => ShapeInference.FixInputDims(b.Build(), InputShapes.Parse(text)));
        Assert.Contains(expected, e.Message);
        Assert.Equal("f32[N,3,H,W]", TypeOf(b.Graph.Inputs[0]));
    }
}
