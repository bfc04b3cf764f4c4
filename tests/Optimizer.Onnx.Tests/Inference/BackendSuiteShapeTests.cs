using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Onnx.Tests.Inference;

/// <summary>
/// ONNX's backend suite as ground truth: with each model's inputs fixed to the shapes of its test data, the types
/// inference writes for the graph outputs (stated types removed first) must match the expected outputs' shapes.
/// </summary>
public class BackendSuiteShapeTests(ITestOutputHelper output)
{
    [Fact]
    public void Inferred_output_shapes_match_the_expected_outputs_of_the_backend_suite()
    {
        var truth = new GroundTruth();
        int models = 0, skipped = 0;
        foreach (var path in TestPaths.BackendModels())
        {
            var dataSet = Path.Combine(Path.GetDirectoryName(path)!, "test_data_set_0");
            if (!Directory.Exists(dataSet) || Load(path, dataSet) is not var (model, expected)) { skipped++; continue; }
            models++;
            ShapeInference.Run(model);
            var name = Path.GetFileName(Path.GetDirectoryName(path))!;
            for (var i = 0; i < expected.Count && i < model.Graph.Outputs.Count; i++)
                if (expected[i] is var (t, stated) && t is not null)
                {
                    truth.Check(name, model.Graph.Outputs[i], stated ?? t.ElementType, t.Dims);
                }
        }
        output.WriteLine($"{models} models ({skipped} skipped): {truth.Summary}");
        foreach (var m in truth.Mismatches) output.WriteLine(m);
        Assert.True(models > 1000, $"only {models} backend models ran ({skipped} skipped)");
        // Outputs without a type or shape are not checked: most must have both (1017 and 1002 of 1235 in libonnx-testdata 1.14).
        Assert.True(truth.Typed > truth.Values * 0.8 && truth.Shaped > truth.Values * 0.8, truth.Summary);
        Assert.Empty(truth.Mismatches);
        // Most outputs not known are data-dependent: a shape, axes or sizes given as a graph input.
        Assert.True(truth.FullyKnown > truth.Values * 0.7, truth.Summary);
    }

    /// <summary>
    /// The model with inputs fixed from the data set and node outputs untyped, and the expected outputs (null: not a
    /// tensor) with the element type the model stated (the suite's .pb files store bfloat16 as uint16).
    /// </summary>
    private static (Model, List<(Tensor?, ElementType?)>)? Load(string path, string dataSet)
    {
        Model model;
        try { model = ModelReader.Read(path); }
        catch (Exception e) when (e is not OutOfMemoryException) { return null; }
        var inputs = model.Graph.Inputs.Where(v => !v.IsInitializer).ToList();
        var shapes = new Dictionary<string, long[]>();
        for (var k = 0; k < inputs.Count; k++)
        {
            var file = Path.Combine(dataSet, $"input_{k}.pb");
            if (!File.Exists(file)) continue; // an omitted optional input
            if (ReadTensor(file) is not { } t || inputs[k].Type is not TensorTypeInfo) return null;
            shapes[inputs[k].Name] = t.Dims.ToArray();
        }
        try { ShapeInference.FixInputDims(model, shapes); }
        catch (Errors.InvalidInputException) { return null; }
        var stated = model.Graph.Outputs.Select(v => (v.Type as TensorTypeInfo)?.ElementType).ToList();
        foreach (var g in model.AllGraphs())
            foreach (var node in g.Nodes)
                foreach (var v in node.Outputs)
                    if (v is not null) v.Type = null;
        var expected = Enumerable.Range(0, model.Graph.Outputs.Count)
            .Select(k => Path.Combine(dataSet, $"output_{k}.pb"))
            .Select((f, k) => (File.Exists(f) ? ReadTensor(f) : null, stated[k])).ToList();
        return (model, expected);
    }

    private static Tensor? ReadTensor(string file)
    {
        try { return TensorFile.Read(file); }
        catch (Exception e) when (e is not OutOfMemoryException) { return null; }
    }
}
