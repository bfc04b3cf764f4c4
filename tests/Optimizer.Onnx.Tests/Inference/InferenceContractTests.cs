using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;
using static Optimizer.Onnx.Tests.Inference.InferenceTestHelpers;

namespace Optimizer.Onnx.Tests.Inference;

/// <summary>What inference promises beyond single operators: no guesses, diagnostics instead of crashes, stable written types.</summary>
public class InferenceContractTests
{
    [Fact]
    public void An_operator_of_an_unknown_domain_gets_no_shape_and_its_consumers_no_wrong_one()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "N", 8);
        var custom = b.NodeIn(b.Graph, "MyOp", [x], 1, [], domain: "com.example").Output();
        var relu = b.Op("Relu", [custom]);
        var result = Infer(b);
        Assert.Null(custom.Type);
        Assert.Null(relu.Type);
        Assert.False(result.TryGetShape(relu, out _));
    }

    [Fact]
    public void Inconsistent_inputs_are_a_diagnostic_and_leave_the_output_untyped()
    {
        var b = new GraphBuilder();
        var y = b.Op("MatMul", [b.Input("a", ElementType.Float, 2, 3), b.Input("b", ElementType.Float, 4, 5)]);
        var z = b.Op("Add", [b.Input("c", ElementType.Float, 3), b.Input("d", ElementType.Float, 4)]);
        var result = Infer(b, allowDiagnostics: true);
        Assert.Equal(2, result.Diagnostics.Count);
        Assert.Contains("inner dims differ: 3 vs 4", result.Diagnostics[0].ToString());
        Assert.Contains("cannot broadcast dims 3 and 4", result.Diagnostics[1].ToString());
        Assert.Null(y.Type);
        Assert.Null(z.Type);
    }

    [Fact]
    public void A_stated_type_is_kept_unless_the_inferred_one_is_more_precise_and_a_contradiction_is_reported()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, "N", 8);
        var relu = b.Op("Relu", [x]);
        var sig = b.Op("Sigmoid", [x]);
        var tanh = b.Op("Tanh", [x]);
        relu.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf("rows", null!));
        sig.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf("N", 9));
        tanh.Type = new TensorTypeInfo(ElementType.Float, null);
        var result = Infer(b, allowDiagnostics: true);
        Assert.Equal("f32[rows,8]", TypeOf(relu)); // the model's name stays, the unknown dim becomes 8
        Assert.Equal("f32[N,9]", TypeOf(sig));
        Assert.Contains("dim 1 is stated as 9, inferred 8", Assert.Single(result.Diagnostics).Message);
        Assert.Equal("f32[N,8]", TypeOf(tanh));
    }

    [Fact]
    public void Written_types_survive_a_write_and_read_as_value_info_and_a_second_run_changes_nothing()
    {
        var model = ModelReader.Read(TestPaths.SharedModel("mobilenet_v2.onnx"));
        var first = ShapeInference.Run(model);
        Assert.True(first.TypesWritten > 100);
        var read = ModelReader.Read(new MemoryStream(ModelWriter.ToBytes(model)), null);
        var expected = model.Graph.Nodes.SelectMany(n => n.Outputs).OfType<Value>().ToDictionary(v => v.Name, TypeOf);
        var actual = read.Graph.Nodes.SelectMany(n => n.Outputs).OfType<Value>().ToDictionary(v => v.Name, TypeOf);
        Assert.Equal(expected, actual);
        Assert.Contains("f32[batch,32,112,112]", actual.Values);
        Assert.Equal(0, ShapeInference.Run(read).TypesWritten);
        Assert.Equal(ModelWriter.ToBytes(model), ModelWriter.ToBytes(read));
    }

    [Fact]
    public void Data_dependent_sizes_stay_unknown_but_equal_where_they_come_from_the_same_value()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 4, 5);
        var nz = b.Op("NonZero", [x]);
        var t = b.Op("Transpose", [nz]);
        var rows = b.Op("Gather", [b.Op("Shape", [t]), Scalar(b, 0)]);
        var cols = b.Op("Gather", [b.Op("Shape", [nz]), Scalar(b, 1)]);
        var same = b.Op("Equal", [rows, cols]);
        var result = Infer(b);
        Assert.Equal("i64[2,?]", TypeOf(nz));
        Assert.True(result.TryGetSymbolicValue(rows, out var r) && r[0].IsOpaque);
        Assert.True(result.TryGetSymbolicValue(same, out var eq));
        Assert.Equal(1, eq[0].ConstantValue);
    }
}
