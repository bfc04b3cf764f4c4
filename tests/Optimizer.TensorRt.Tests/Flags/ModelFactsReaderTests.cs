using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Precision;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Versions;
using Optimizer.TestKit;

namespace Optimizer.TensorRt.Tests.Flags;

/// <summary>
/// The facts an engine build reads from a model whose computation sits in If branches or local functions (silero VAD v5
/// picks its sample rate's branch and has nothing else in the main graph): the branches' weights and nodes count as
/// much as the main graph's, so a half model gets --fp16 and a Q/DQ one --int8.
/// </summary>
public sealed class ModelFactsReaderTests
{
    private static readonly TensorRtVersion V109 = new(10, 9, 0, 34);

    /// <summary>x (float32) → If(cond) with Conv → Relu in each branch, the weights of <paramref name="type"/> in the branch.</summary>
    internal static Model BranchModel(ElementType type, bool constantWeights = false)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var cond = b.Input("cond", ElementType.Bool);
        Graph Branch(string name)
        {
            var g = new Graph(name);
            var floats = b.RandomFloats([4, 3, 3, 3], 0.5f);
            var tensor = Tensor.FromArray(name + "_w", floats, 4, 3, 3, 3);
            if (type != ElementType.Float) tensor = HalfTensors.Convert(tensor, type, tensor.Name).Tensor;
            Value w;
            if (constantWeights)
            {
                var constant = g.AddNode("Constant", [], [name + "_w"], name: name + "_w");
                constant.SetAttribute(Onnx.IR.Attribute.FromTensor("value", tensor));
                w = constant.Output();
            }
            else w = g.AddInitializer(tensor);
            var input = type == ElementType.Float ? x : g.AddNode("Cast", [x], [name + "_x"], name: name + "_cast").Output();
            if (type != ElementType.Float) input.Producer!.SetAttribute(Onnx.IR.Attribute.FromInt("to", (long)type));
            var conv = g.AddNode("Conv", [input, w], [name + "_conv"], name: name + "_conv").Output();
            var relu = g.AddNode("Relu", [conv], [name + "_relu"], name: name + "_relu").Output();
            var output = type == ElementType.Float ? relu : g.AddNode("Cast", [relu], [name + "_out"], name: name + "_out").Output();
            if (type != ElementType.Float) output.Producer!.SetAttribute(Onnx.IR.Attribute.FromInt("to", (long)ElementType.Float));
            g.AddOutput(output);
            return g;
        }
        b.Output(b.Op("If", [cond], ("then_branch", Branch("then")), ("else_branch", Branch("else"))));
        return RoundTrip(b.Build());
    }

    private static Model RoundTrip(Model model) => ModelReader.Read(new MemoryStream(ModelWriter.ToBytes(model)), null);

    [Fact]
    public void HalfWeightsInsideIfBranchesMakeAnFp16ModelThatGetsFp16()
    {
        var facts = ModelFactsReader.FromModel(BranchModel(ElementType.Float16));

        Assert.True(facts.IsFp16);
        Assert.False(facts.IsBf16);
        Assert.Equal(["--fp16"], PrecisionFlags.For(V109, facts, EnginePrecision.Auto, null, []));
    }

    [Fact]
    public void HalfConstantNodesInsideIfBranchesCountToo() =>
        Assert.True(ModelFactsReader.FromModel(BranchModel(ElementType.Float16, constantWeights: true)).IsFp16);

    [Fact]
    public void Bfloat16WeightsInsideIfBranchesGetBf16()
    {
        var facts = ModelFactsReader.FromModel(BranchModel(ElementType.BFloat16));

        Assert.True(facts.IsBf16);
        Assert.False(facts.IsFp16);
        Assert.Equal(["--bf16"], PrecisionFlags.For(V109, facts, EnginePrecision.Auto, null, []));
    }

    [Fact]
    public void AFloat32ModelWithBranchesGetsNoPrecisionFlag()
    {
        var facts = ModelFactsReader.FromModel(BranchModel(ElementType.Float));

        Assert.False(facts.IsFp16);
        Assert.False(facts.IsBf16);
        Assert.Empty(PrecisionFlags.For(V109, facts, EnginePrecision.Auto, null, []));
    }

    /// <summary>A local function "QdqRelu(x) = Relu(DQ(DynamicQuantizeLinear(x)))", called from the main graph.</summary>
    [Fact]
    public void QdqAndCpuInt8OpsInsideALocalFunctionAreSeen()
    {
        var body = new Graph("QdqRelu");
        var a = body.AddInput("a");
        var dynamic = body.AddNode("DynamicQuantizeLinear", [a], ["q", "s", "z"]);
        var dq = body.AddNode("DequantizeLinear", [dynamic.Outputs[0], dynamic.Outputs[1], dynamic.Outputs[2]], ["dq"]).Output();
        body.AddOutput(body.AddNode("Relu", [dq], ["out"]).Output());
        var function = new Function("QdqRelu", "local", body);
        function.OpsetImports.Add(new OpsetImport("", 17));
        var b = new GraphBuilder();
        b.Model.OpsetImports.Add(new OpsetImport("local", 1));
        b.Model.Functions.Add(function);
        var x = b.Input("x", ElementType.Float, 4);
        b.Output(b.Graph.AddNode("QdqRelu", [x], ["y"], domain: "local").Output());
        var model = RoundTrip(b.Build());

        var facts = ModelFactsReader.FromModel(model);

        Assert.True(facts.IsQdq);
        Assert.Contains("1 DynamicQuantizeLinear", facts.CpuInt8Ops);
        Assert.Equal(["--int8"], PrecisionFlags.For(V109, facts, EnginePrecision.Auto, null, []));
    }
}
