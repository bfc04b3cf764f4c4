using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Cleanup;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Precision;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Precision;

/// <summary>
/// Models whose outputs an If produces (silero VAD v5 computes everything inside its sample-rate branches):
/// with --no-keep-io-types those outputs turn half like every other float output, so a streaming caller can feed a
/// state output back into its half input; and the Identity nodes that gave a branch an outer value, which the FP32
/// cleanup must keep, go once the conversion has put a Cast behind them.
/// </summary>
public sealed class ControlFlowOutputTests
{
    private static readonly HalfPrecisionSettings Fp16 = new();

    /// <summary>
    /// x, state (float32) → If(cond): then = (Relu(x·w), Identity(state)), else = (Sigmoid(x·w), Tanh(state));
    /// the If's two outputs are the graph's outputs y and stateN, beside z = Abs(x) from an ordinary node.
    /// </summary>
    private static GraphBuilder BranchModel()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        var state = b.Input("state", ElementType.Float, 2, 3);
        var cond = b.Input("cond", ElementType.Bool);
        var w = b.RandomInitializer("w", 1f, 3, 3);
        Graph Branch(string name, string op, string stateOp)
        {
            var g = new Graph(name);
            var y = b.NodeIn(g, op, [b.NodeIn(g, "MatMul", [x, w], 1, []).Output()], 1, []).Output();
            var s = b.NodeIn(g, stateOp, [state], 1, []).Output();
            foreach (var v in new[] { y, s }) v.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(2, 3));
            g.AddOutput(y);
            g.AddOutput(s);
            return g;
        }
        var iff = b.Node("If", [cond], 2, ("then_branch", Branch("then", "Relu", "Identity")), ("else_branch", Branch("else", "Sigmoid", "Tanh")));
        b.Output(iff.Output(0), iff.Output(1), b.Op("Abs", [x]));
        return b;
    }

    private static Dictionary<string, TestTensor> Inputs(Model model, bool cond, ElementType floatType)
    {
        var inputs = OrtRunner.SeededInputs(model);
        inputs["cond"] = new TestTensor(ElementType.Bool, [], new[] { cond });
        foreach (var name in new[] { "x", "state" })
        {
            var values = inputs[name].AsDoubles();
            inputs[name] = floatType == ElementType.Float16
                ? new TestTensor(floatType, inputs[name].Dims, values.Select(v => (Half)v).ToArray())
                : new TestTensor(floatType, inputs[name].Dims, values.Select(v => (float)(Half)v).ToArray());
        }
        return inputs;
    }

    [Fact]
    public void WithoutKeepIoTypesOutputsAnIfProducesAreHalfAndRunCloseToFp32()
    {
        var b = BranchModel();
        var before = ModelWriter.ToBytes(b.Model);
        var original = ModelReader.Read(new MemoryStream(before), null);

        HalfPrecisionSupport.Convert(b.Model, Fp16 with { KeepIoTypes = false });

        var g = b.Graph;
        Assert.All(g.Inputs.Where(i => i.Name != "cond"), i => Assert.Equal(ElementType.Float16, i.ElementType));
        Assert.All(g.Outputs, o => Assert.Equal(ElementType.Float16, o.ElementType));
        Assert.Equal(original.Graph.Outputs.Select(o => o.Name), g.Outputs.Select(o => o.Name));
        foreach (var cond in new[] { true, false })
        {
            var expected = OrtRunner.Run(before, Inputs(original, cond, ElementType.Float));
            var actual = OrtRunner.Run(b.Model, Inputs(original, cond, ElementType.Float16));
            foreach (var (name, value) in actual)
            {
                Assert.Equal(ElementType.Float16, value.Type);
                Assert.InRange(OrtRunner.RelativeError(expected[name].AsDoubles(), value.AsDoubles()), 0, 2e-3);
            }
            // a streaming caller feeds the state output back into the state input
            var again = Inputs(original, cond, ElementType.Float16);
            again["state"] = actual[g.Outputs[1].Name];
            Assert.Equal(3, OrtRunner.Run(b.Model, again).Count);
        }
    }

    [Fact]
    public void AnIfOutputOneBranchComputesInFloat32StaysFloat32()
    {
        // --exclude Sigmoid: the else branch's y is float32 inside (as a node the range check keeps, which half could overflow)
        var b = BranchModel();
        var before = ModelWriter.ToBytes(b.Model);
        var original = ModelReader.Read(new MemoryStream(before), null);

        HalfPrecisionSupport.Convert(b.Model, Fp16 with { KeepIoTypes = false, Exclude = new HashSet<string> { "Sigmoid" } });

        Assert.Equal([ElementType.Float, ElementType.Float16, ElementType.Float16], b.Graph.Outputs.Select(o => o.ElementType));
        var actual = OrtRunner.Run(b.Model, Inputs(original, false, ElementType.Float16));
        var expected = OrtRunner.Run(before, Inputs(original, false, ElementType.Float));
        Assert.Equal(ElementType.Float, actual[b.Graph.Outputs[0].Name].Type);
        foreach (var (name, value) in actual) Assert.InRange(OrtRunner.RelativeError(expected[name].AsDoubles(), value.AsDoubles()), 0, 2e-3);
    }

    [Fact]
    public void WithKeepIoTypesTheIfOutputsStayFloat32WithoutACastAtTheInterface()
    {
        var b = BranchModel();
        HalfPrecisionSupport.Convert(b.Model, Fp16);

        Assert.All(b.Graph.Inputs.Concat(b.Graph.Outputs).Where(v => v.Name != "cond"), v => Assert.Equal(ElementType.Float, v.ElementType));
        var iff = b.Graph.Nodes.Single(n => n.OpType == "If");
        Assert.All(iff.Outputs, o => Assert.True(o!.IsGraphOutput));
    }

    [Fact]
    public void TheIdentityThatGaveABranchAnOuterValueIsGoneAfterConversionAndTheOutputsAreUnchanged()
    {
        // The FP32 cleanup must keep it: a branch output cannot be an outer value.
        var fp32 = BranchModel();
        var context = new PassContext(new PassOptions());
        PassRunner.Run(fp32.Model, [new EliminateIdentity()], context);
        Assert.Single(fp32.Model.Graph.AllNodes(), n => n.OpType == "Identity");

        var b = BranchModel();
        var before = ModelWriter.ToBytes(b.Model);
        var original = ModelReader.Read(new MemoryStream(before), null);
        HalfPrecisionSupport.Convert(b.Model, Fp16);
        Assert.DoesNotContain(b.Model.Graph.AllNodes(), n => n.OpType == "Identity");

        // the same conversion without the Identity cleanup: bit for bit the same outputs
        var kept = ModelReader.Read(new MemoryStream(before), null);
        var passes = HalfPrecisionPasses.For(new HalfPrecisionConversion(Fp16)).Where(p => p is not EliminateIdentity).ToList();
        PassRunner.Run(kept, passes, new PassContext(new PassOptions { Verify = true }));
        Assert.Single(kept.Graph.AllNodes(), n => n.OpType == "Identity");
        foreach (var cond in new[] { true, false })
        {
            var inputs = Inputs(original, cond, ElementType.Float);
            var withIdentity = OrtRunner.Run(kept, inputs);
            var actual = OrtRunner.Run(b.Model, inputs);
            foreach (var (name, value) in actual) Assert.Equal(withIdentity[name].AsDoubles(), value.AsDoubles());
            Assert.InRange(OrtRunner.MaxRelativeError(original, b.Model, inputs), 0, 2e-3);
        }
    }
}
