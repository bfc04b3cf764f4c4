using Optimizer.Onnx.Inference;
using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.TestKit;
using Xunit.Abstractions;

namespace Optimizer.Onnx.Tests.Inference;

/// <summary>
/// The shared real models as ground truth: every value of the main graph becomes an output of a copy of the model,
/// ONNX Runtime runs it, and every dim inference wrote (static, or symbolic with the symbols' sizes substituted)
/// must equal the real one, as must the element type.
/// </summary>
public class SharedModelShapeTests(ITestOutputHelper output)
{
    /// <summary>The sizes each model runs with (its symbols), and inputs that need particular values.</summary>
    private static readonly Dictionary<string, Dictionary<string, long>> Symbols = new()
    {
        ["arctic_embed_xs.onnx"] = new() { ["batch_size"] = 2, ["sequence_length"] = 16 },
        ["bert_mini.onnx"] = new() { ["batch"] = 2, ["seq"] = 16 },
        ["ch_PP-OCRv4_det_infer.onnx"] = new() { ["p2o.DynamicDimension.0"] = 1, ["p2o.DynamicDimension.1"] = 96, ["p2o.DynamicDimension.2"] = 160 },
        ["ch_ppocr_mobile_v2.0_cls_infer.onnx"] = new() { ["p2o.DynamicDimension.0"] = 2, ["p2o.DynamicDimension.1"] = 48, ["p2o.DynamicDimension.2"] = 192 },
        ["mobilenet_v2.onnx"] = new() { ["batch"] = 2 },
        ["mobilenet_v2_bn.onnx"] = new() { ["batch"] = 2 },
        ["silero_vad_legacy.onnx"] = new() { ["batch"] = 2, ["sequence"] = 512 },
        ["squeezenet1_1.onnx"] = new() { ["batch"] = 2 },
    };

    public static IEnumerable<object[]> Models() => TestPaths.SharedModelFiles().Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_inferred_dim_of_every_value_matches_ONNX_Runtime(string file)
    {
        var path = TestPaths.SharedModel(file);
        var symbols = Symbols[file];
        var model = ModelReader.Read(path);
        foreach (var node in model.Graph.AllNodes())
            foreach (var v in node.Outputs)
                if (v is not null) v.Type = null; // only what inference writes is checked
        var result = ShapeInference.Run(model);
        Assert.Empty(result.Diagnostics);

        var probe = ModelReader.Read(path);
        var inputs = OrtRunner.SeededInputs(probe, dimValues: symbols);
        if (inputs.ContainsKey("sr")) inputs["sr"] = new TestTensor(ElementType.Int64, [], new long[] { 16000 });
        // BERT's token type embedding has two rows: seeded ids of 0..9 would index out of range.
        if (inputs.TryGetValue("token_type_ids", out var types))
            inputs["token_type_ids"] = new TestTensor(ElementType.Int64, types.Dims, ((long[])types.Data).Select(t => t % 2).ToArray());
        var real = TakenBranchInliner.RunWithEveryValue(probe, inputs);

        var truth = new GroundTruth();
        var values = model.Graph.AllNodes().SelectMany(n => n.Outputs).OfType<Value>().ToList();
        foreach (var v in values)
            if (real.TryGetValue(v.Name, out var t))
                truth.Check(file, v, t.Type, t.Dims, symbols, result);
        output.WriteLine($"{file}: {truth.Summary}");
        foreach (var m in truth.Mismatches) output.WriteLine(m);
        Assert.Empty(truth.Mismatches);
        // Values without a type or shape are not checked: every value of these models must have both.
        Assert.True(truth.Values > 50, truth.Summary);
        Assert.True(truth.Typed == truth.Values && truth.Shaped == truth.Values, truth.Summary);
        Assert.All(model.Graph.Nodes.SelectMany(n => n.Outputs).OfType<Value>(), v => Assert.True(real.ContainsKey(v.Name), v.Name));
    }
}
