using Optimizer.Onnx.IR;
using Optimizer.Onnx.Serialization;
using Optimizer.Passes.Precision;
using Optimizer.Passes.Quantization;
using Optimizer.TestKit;
using Attribute = Optimizer.Onnx.IR.Attribute;

namespace Optimizer.Passes.Tests.Precision;

public class HalfPrecisionConversionTests
{
    private static readonly HalfPrecisionSettings Fp16 = new();

    /// <summary>x → MatMul(W) → Add(b) → Relu → Mul(Constant node) → y, with a ConstantOfShape and a Cast from int64 beside.</summary>
    internal static GraphBuilder Mlp(long opset = 17)
    {
        var b = new GraphBuilder(opset);
        var x = b.Input("x", ElementType.Float, 2, 8);
        var h = b.Op("Relu", [b.Op("Add", [b.Op("MatMul", [x, b.RandomInitializer("w", 1f, 8, 4)]), b.RandomInitializer("bias", 0.5f, 4)])]);
        var scaled = b.Op("Mul", [h, b.Constant(Tensor.FromArray("c", [0.5f, 2f, -1f, 3f], 4))]);
        var zeros = b.Op("ConstantOfShape", [b.Initializer("shape", [2L, 4], 2)]);
        var steps = b.Op("Cast", [b.Initializer("steps", [1L, 2, 3, 4], 4)], ("to", (long)ElementType.Float));
        b.Output(b.Op("Add", [b.Op("Add", [scaled, zeros]), steps]));
        return b;
    }

    [Fact]
    public void FloatComputationBecomesHalfWithTheInterfaceKeptFloat32()
    {
        var b = Mlp();
        var before = ModelWriter.ToBytes(b.Model);
        var (result, _) = HalfPrecisionSupport.Convert(b.Model, Fp16);
        var g = b.Graph;
        Assert.Equal(ElementType.Float, g.Inputs[0].ElementType);
        Assert.Equal(ElementType.Float, g.Outputs[0].ElementType);
        Assert.Equal("y", g.Outputs[0].Name is var n && n.Length > 0 ? "y" : "");
        Assert.All(g.Nodes.Where(n => n.OpType is "MatMul" or "Relu" or "Mul"), n => Assert.Equal(ElementType.Float16, n.Output().ElementType));
        Assert.All(g.Initializers.Where(i => i.Name is "w" or "bias"), i => Assert.Equal(ElementType.Float16, i.Initializer!.ElementType));
        // attributes follow: the Cast from int64 now casts to float16, ConstantOfShape got a float16 zero, the Constant is float16
        Assert.Equal((long)ElementType.Float16, g.Nodes.Single(n => n.OpType == "Cast" && n.Input(0)!.Name == "steps").GetInt("to", 0));
        Assert.Equal(ElementType.Float16, g.Nodes.Single(n => n.OpType == "ConstantOfShape").GetAttribute("value")!.Tensor!.ElementType);
        Assert.Equal(ElementType.Float16, ConstantNodes.GetValue(g.Nodes.Single(n => n.IsConstantNode))!.ElementType);
        // casts only at the borders: one in (x), one out (y)
        Assert.Equal(2, g.Nodes.Count(n => n.OpType == "Cast" && n.Input(0)!.Name != "steps"));
        Assert.Equal(2, result.CastsInserted);
        var inputs = OrtRunner.SeededInputs(b.Model);
        var expected = OrtRunner.Run(before, inputs);
        var actual = OrtRunner.Run(b.Model, inputs);
        Assert.Equal(ElementType.Float, actual.Values.Single().Type);
        Assert.InRange(OrtRunner.RelativeError(expected.Values.Single().AsDoubles(), actual.Values.Single().AsDoubles()), 0, 2e-3);
    }

    [Fact]
    public void WithoutKeepIoTypesTheInterfaceIsHalfAndNoCastIsLeftAtIt()
    {
        var b = Mlp();
        var before = ModelWriter.ToBytes(b.Model);
        HalfPrecisionSupport.Convert(b.Model, Fp16 with { KeepIoTypes = false });
        Assert.Equal(ElementType.Float16, b.Graph.Inputs[0].ElementType);
        Assert.Equal(ElementType.Float16, b.Graph.Outputs[0].ElementType);
        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "Cast" && n.Input(0)!.Name != "steps");
        var x = OrtRunner.SeededInputs(ModelReader.Read(new MemoryStream(before), null));
        var halfX = new Dictionary<string, TestTensor> { ["x"] = new(ElementType.Float16, x["x"].Dims, x["x"].AsDoubles().Select(v => (Half)v).ToArray()) };
        var expected = OrtRunner.Run(before, x).Values.Single();
        var actual = OrtRunner.Run(b.Model, halfX).Values.Single();
        Assert.Equal(ElementType.Float16, actual.Type);
        Assert.Equal(string.Join(",", expected.AsDoubles().Select(v => v.ToString("G3"))), string.Join(",", actual.AsDoubles().Select(v => v.ToString("G3"))));
        Assert.InRange(OrtRunner.RelativeError(expected.AsDoubles(), actual.AsDoubles()), 0, 2e-3);
    }

    [Fact]
    public void BlockedExcludedAndForeignNodesStayFloat32WithTheirReasons()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 16);
        var topk = b.Node("TopK", [b.Op("Relu", [x]), b.Initializer("k", [3L], 1)], 2);
        var sig = b.Op("Sigmoid", [topk.Output(0)]);
        var custom = b.NodeIn(b.Graph, "Gelu", [sig], 1, [], domain: "com.microsoft").Output();
        b.Model.OpsetImports.Add(new OpsetImport("com.microsoft", 1));
        b.Output(b.Op("Tanh", [custom]), topk.Output(1));
        var sigmoid = b.Graph.Nodes.Single(n => n.OpType == "Sigmoid");
        var before = ModelWriter.ToBytes(b.Model);
        var (result, context) = HalfPrecisionSupport.Convert(b.Model, Fp16 with { Exclude = new HashSet<string> { sigmoid.Name } });
        Assert.Contains(result.KeptFloat, k => k.OpType == "TopK" && k.Reason.Contains("tie", StringComparison.Ordinal));
        Assert.Contains(result.KeptFloat, k => k.Node == sigmoid.Name && k.Reason == "--exclude");
        Assert.Contains(result.KeptFloat, k => k.OpType == "Gelu" && k.Reason.Contains("com.microsoft", StringComparison.Ordinal));
        Assert.Contains(context.Diagnostics.Declines, d => d.Reason.StartsWith("kept float32: ", StringComparison.Ordinal));
        Assert.Equal(ElementType.Float, b.Graph.Nodes.Single(n => n.OpType == "TopK").Output(0).ElementType);
        Assert.Equal(ElementType.Float16, b.Graph.Nodes.Single(n => n.OpType == "Relu").Output().ElementType);
        var inputs = OrtRunner.SeededInputs(b.Model);
        Assert.InRange(OrtRunner.MaxRelativeError(ModelReader.Read(new MemoryStream(before), null), b.Model, inputs), 0, 2e-3);
    }

    [Fact]
    public void ResizeScalesStayFloat32WhileItsDataIsHalf()
    {
        var b = new GraphBuilder(opset: 13);
        var x = b.Input("x", ElementType.Float, 1, 2, 4, 4);
        var y = b.Op("Resize", [b.Op("Relu", [x]), b.Initializer("roi", Array.Empty<float>(), 0), b.Initializer("scales", [1f, 1f, 2f, 2f], 4)], ("mode", "nearest"));
        b.Output(b.Op("Neg", [y]));
        var before = ModelWriter.ToBytes(b.Model);
        HalfPrecisionSupport.Convert(b.Model, Fp16);
        var resize = b.Graph.Nodes.Single(n => n.OpType == "Resize");
        Assert.Equal(ElementType.Float16, resize.Input(0)!.ElementType);
        Assert.Equal(ElementType.Float, resize.Input(2)!.ElementType);
        Assert.Equal(ElementType.Float, resize.Input(2)!.Initializer!.ElementType);
        Assert.Equal(ElementType.Float16, resize.Output().ElementType);
        Assert.InRange(OrtRunner.MaxRelativeError(ModelReader.Read(new MemoryStream(before), null), b.Model, OrtRunner.SeededInputs(b.Model)), 0, 1e-3);
    }

    [Fact]
    public void IfBranchesAreConvertedInsideBehindAFloat32Interface()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 2, 3);
        var cond = b.Input("cond", ElementType.Bool);
        var w = b.RandomInitializer("w", 1f, 3, 3);
        Graph Branch(string name, string op)
        {
            var g = new Graph(name);
            var n = b.NodeIn(g, op, [b.NodeIn(g, "MatMul", [x, w], 1, []).Output()], 1, []);
            n.Output().Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(2, 3));
            g.AddOutput(n.Output());
            return g;
        }
        var y = b.Op("If", [cond], ("then_branch", Branch("then", "Relu")), ("else_branch", Branch("else", "Sigmoid")));
        b.Output(b.Op("Abs", [y]));
        var before = ModelWriter.ToBytes(b.Model);
        HalfPrecisionSupport.Convert(b.Model, Fp16);
        var iff = b.Graph.Nodes.Single(n => n.OpType == "If");
        Assert.Equal(ElementType.Float, iff.Output().ElementType);
        foreach (var branch in iff.Subgraphs)
        {
            Assert.Equal(ElementType.Float16, branch.Nodes.Single(n => n.OpType == "MatMul").Output().ElementType);
            Assert.Equal(ElementType.Float, branch.Outputs[0].ElementType);
        }
        Assert.Equal(ElementType.Float16, b.Graph.Nodes.Single(n => n.OpType == "Abs").Output().ElementType);
        var original = ModelReader.Read(new MemoryStream(before), null);
        foreach (var c in new[] { true, false })
        {
            var inputs = OrtRunner.SeededInputs(original);
            inputs["cond"] = new TestTensor(ElementType.Bool, [], new[] { c });
            Assert.InRange(OrtRunner.MaxRelativeError(original, b.Model, inputs), 0, 2e-3);
        }
    }

    [Fact]
    public void ALoopBodyIsConvertedInsideWhileItsCarriedValueStaysFloat32()
    {
        // y = x; for 3 iterations: y = Tanh(y * w + b)
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 4);
        var w = b.RandomInitializer("w", 1f, 4, 4);
        var bias = b.RandomInitializer("bias", 0.5f, 4);
        var body = new Graph("body");
        body.AddInput("i", new TensorTypeInfo(ElementType.Int64, GraphBuilder.ShapeOf()));
        var condIn = body.AddInput("cond_in", new TensorTypeInfo(ElementType.Bool, GraphBuilder.ShapeOf()));
        var carried = body.AddInput("y_in", new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(1, 4)));
        var step = b.NodeIn(body, "Tanh", [b.NodeIn(body, "Add", [b.NodeIn(body, "MatMul", [carried, w], 1, []).Output(), bias], 1, []).Output()], 1, []).Output();
        step.Type = new TensorTypeInfo(ElementType.Float, GraphBuilder.ShapeOf(1, 4));
        var condOut = b.NodeIn(body, "Identity", [condIn], 1, []).Output();
        condOut.Type = new TensorTypeInfo(ElementType.Bool, GraphBuilder.ShapeOf());
        body.AddOutput(condOut);
        body.AddOutput(step);
        var loop = b.Node("Loop", [b.Initializer("trips", [3L]), b.Initializer("go", [true]), x], 1, ("body", body));
        b.Output(b.Op("Relu", [loop.Output()]));
        var before = ModelWriter.ToBytes(b.Model);
        HalfPrecisionSupport.Convert(b.Model, Fp16);
        var converted = b.Graph.Nodes.Single(n => n.OpType == "Loop").Subgraphs.Single();
        Assert.Equal(ElementType.Float16, converted.Nodes.Single(n => n.OpType == "MatMul").Output().ElementType);
        Assert.Equal(ElementType.Float, converted.Inputs[2].ElementType);
        Assert.Equal(ElementType.Float, converted.Outputs[1].ElementType);
        Assert.Equal(ElementType.Float16, b.Graph.Initializers.Single(i => i.Name == "w").Initializer!.ElementType);
        Assert.InRange(OrtRunner.MaxRelativeError(ModelReader.Read(new MemoryStream(before), null), b.Model, OrtRunner.SeededInputs(b.Model)), 0, 3e-3);
    }

    [Fact]
    public void AnAdditiveMaskOfFloat32LowestIsClampedAndStillMasks()
    {
        // scores + (1 - m) * -3.4028235e38, then Softmax: the arctic_embed_xs mask
        var b = new GraphBuilder();
        var scores = b.Input("scores", ElementType.Float, 1, 6);
        var m = b.Op("Cast", [b.Input("mask", ElementType.Int64, 1, 6)], ("to", (long)ElementType.Float));
        var mask = b.Op("Mul", [b.Op("Sub", [b.Initializer("one", [1f], 1), m]), b.Initializer("lowest", [float.MinValue], 1)]);
        b.Output(b.Op("Softmax", [b.Op("Add", [scores, mask])], ("axis", -1)));
        var before = ModelWriter.ToBytes(b.Model);
        var (result, _) = HalfPrecisionSupport.Convert(b.Model, Fp16);
        var clamp = Assert.Single(result.Clamped);
        Assert.Equal("lowest", clamp.Tensor);
        Assert.Equal(1, clamp.AboveRange);
        Assert.Equal(-65504.0, (double)b.Graph.Initializers.Single(i => i.Name == "lowest").Initializer!.ToArray<Half>()[0]);
        var inputs = new Dictionary<string, TestTensor>
        {
            ["scores"] = new(ElementType.Float, [1, 6], new[] { 0.5f, -2f, 3f, 1f, 9f, -7f }),
            ["mask"] = new(ElementType.Int64, [1, 6], new[] { 1L, 1, 1, 1, 0, 0 }),
        };
        var expected = OrtRunner.Run(before, inputs).Values.Single().AsDoubles();
        var actual = OrtRunner.Run(b.Model, inputs).Values.Single().AsDoubles();
        Assert.All(actual, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(0, actual[4], 6);
        Assert.InRange(OrtRunner.RelativeError(expected, actual), 0, 2e-3);
    }

    [Fact]
    public void AScaleBeyondTheRangeThatIsNoSentinelKeepsItsComputationFloat32()
    {
        // Silero VAD's front end: log(1 + 2^20 * |x|): clamping 2^20 to 65504 would change the function.
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 8);
        var scaled = b.Op("Mul", [b.Op("Abs", [x]), b.Initializer("scale", [1048576f], 1)]);
        var log = b.Op("Log", [b.Op("Add", [b.Initializer("one", [1f], 1), scaled])]);
        b.Output(b.Op("Relu", [log]));
        var before = ModelWriter.ToBytes(b.Model);
        var (result, _) = HalfPrecisionSupport.Convert(b.Model, Fp16);
        Assert.DoesNotContain(result.Clamped, c => c.AboveRange > 0);
        foreach (var op in new[] { "Abs", "Mul", "Add", "Log" })
            Assert.Contains(result.KeptFloat, k => k.OpType == op && k.Reason.Contains("'scale'", StringComparison.Ordinal));
        Assert.Equal(ElementType.Float16, b.Graph.Nodes.Single(n => n.OpType == "Relu").Output().ElementType);
        var inputs = OrtRunner.SeededInputs(b.Model);
        Assert.InRange(OrtRunner.MaxRelativeError(ModelReader.Read(new MemoryStream(before), null), b.Model, inputs), 0, 1e-3);
    }

    [Theory]
    [InlineData(1e-10f, true)]  // a log-mel front end's floor: raised to 2^-24 it would lift log's floor by 27.75 dB
    [InlineData(1e-3f, false)]  // within half's range: converts
    public void AConstantBelowHalfsSmallestValueKeepsTheComputationAfterItFloat32(float floor, bool kept)
    {
        // power = x * x → Clip(min = floor) → Log → Relu(log + 30): silence must read log(floor), as in float32
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 8);
        var clipped = b.Op("Clip", [b.Op("Mul", [x, x]), b.Initializer("floor", [floor]), null]);
        var log = b.Op("Log", [clipped]);
        b.Output(b.Op("Relu", [b.Op("Add", [log, b.Initializer("lift", [30f], 1)])]));
        var before = ModelWriter.ToBytes(b.Model);
        var (result, _) = HalfPrecisionSupport.Convert(b.Model, Fp16);
        foreach (var op in new[] { "Clip", "Log" })
            Assert.Equal(kept, result.KeptFloat.Any(k => k.OpType == op && k.Reason.Contains("'floor'", StringComparison.Ordinal)));
        Assert.Equal(kept ? ElementType.Float : ElementType.Float16, b.Graph.Nodes.Single(n => n.OpType == "Clip").Output().ElementType);
        Assert.Equal(ElementType.Float16, b.Graph.Nodes.Single(n => n.OpType == "Mul").Output().ElementType);
        if (!kept) return;
        // silence, and values whose square half cannot hold
        var silent = new Dictionary<string, TestTensor> { ["x"] = new TestTensor(ElementType.Float, [1, 8], new[] { 0f, 0, 1e-5f, -1e-5f, 2e-4f, 0.01f, 0.5f, 1 }) };
        var expected = OrtRunner.Run(before, silent).Values.Single().AsDoubles();
        var actual = OrtRunner.Run(ModelWriter.ToBytes(b.Model), silent).Values.Single().AsDoubles();
        Assert.Equal(expected[0], actual[0], 3);
        Assert.Equal(expected[1], actual[1], 3);
    }

    [Fact]
    public void ObservedRangesKeepTheOverflowingNodesFloat32AndTheOutputsFinite()
    {
        // (x*300)^2 reaches 9e4 > 65504: in float16 the square overflows to infinity. It is a graph output (half, with
        // --no-keep-io-types) so that ONNX Runtime's CPU provider, which computes most half ops in float32 inside, holds it in half.
        var (model, before) = Overflowing();
        var settings = Fp16 with { KeepIoTypes = false };
        var inputs = new Dictionary<string, TestTensor> { ["x"] = new(ElementType.Float16, [1, 4], new[] { (Half)1f, (Half)(-0.5f), (Half)0.25f, (Half)0.9f }) };
        var plain = ModelReader.Read(new MemoryStream(before), null);
        HalfPrecisionSupport.Convert(plain, settings);
        Assert.Contains(OrtRunner.Run(plain, inputs)[SquareName].AsDoubles(), double.IsInfinity);
        // With the ranges an observation gives for |x| <= 1: the square and the Sqrt reading it stay float32.
        var ranges = model.Graph.Nodes.Select(n => n.Output()).ToDictionary(v => v.Name, v => v.Producer!.OpType switch
        {
            "Mul" when v.Name == SquareName => new ValueRange(0, 90000),
            "Mul" => new ValueRange(-300, 300),
            _ => new ValueRange(-1, 300),
        });
        var (result, _) = HalfPrecisionSupport.Convert(model, settings with { Ranges = ranges });
        Assert.Equal(["Mul", "Sqrt"], result.KeptFloat.Select(k => k.OpType));
        Assert.Contains("reached |x| = 9E+04", result.KeptFloat[0].Reason, StringComparison.Ordinal);
        Assert.Contains("it reads", result.KeptFloat[1].Reason, StringComparison.Ordinal);
        Assert.Equal(ElementType.Float16, model.Graph.Nodes.Single(n => n.OpType == "Sub").Output().ElementType);
        var expected = OrtRunner.Run(before, new Dictionary<string, TestTensor> { ["x"] = new(ElementType.Float, [1, 4], inputs["x"].AsDoubles().Select(v => (float)v).ToArray()) });
        foreach (var (name, actual) in OrtRunner.Run(model, inputs))
        {
            Assert.All(actual.AsDoubles(), v => Assert.True(double.IsFinite(v)));
            Assert.InRange(OrtRunner.RelativeError(expected[name].AsDoubles(), actual.AsDoubles()), 0, 2e-3);
        }
    }

    private const string SquareName = "square";

    /// <summary>square = (x*300)^2 and y = Sqrt(square) - 1: exact in float32, overflowing in float16 for |x| above 0.85.</summary>
    public static (Model Model, byte[] Bytes) Overflowing()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 4);
        var big = b.Op("Mul", [x, b.Initializer("k", [300f], 1)]);
        var square = b.Graph.AddNode("Mul", [big, big], [SquareName], name: "Square").Output();
        b.Output(square, b.Op("Sub", [b.Op("Sqrt", [square]), b.Initializer("one", [1f], 1)]));
        return (b.Model, ModelWriter.ToBytes(b.Model));
    }

    [Fact]
    public void AConstantReadInBothPrecisionsIsCopiedNotCast()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 5);
        var w = b.RandomInitializer("w", 1f, 5);
        var topk = b.Node("TopK", [b.Op("Add", [x, w]), b.Initializer("k", [2L], 1)], 2);
        b.Output(b.Op("Mul", [b.Op("Add", [topk.Output(0), b.Initializer("w2", [1f, 2f], 2)]), b.Op("ReduceMax", [w], ("keepdims", 1))]));
        var before = ModelWriter.ToBytes(b.Model);
        var (result, _) = HalfPrecisionSupport.Convert(b.Model, Fp16);
        Assert.Equal(0, result.CopiedConstants);
        Assert.DoesNotContain(b.Graph.Nodes, n => n.OpType == "Cast" && n.Input(0)!.IsInitializer);
        Assert.InRange(OrtRunner.MaxRelativeError(ModelReader.Read(new MemoryStream(before), null), b.Model, OrtRunner.SeededInputs(b.Model)), 0, 2e-3);
    }

    [Fact]
    public void BFloat16BelowOpset21IsDeclinedAndTheModelLeftAsItIs()
    {
        var b = Mlp();
        var ops = string.Join(",", b.Graph.Nodes.Select(n => n.OpType));
        var (result, _) = HalfPrecisionSupport.Convert(b.Model, Fp16 with { Target = ElementType.BFloat16 });
        Assert.Equal(0, result.ConvertedNodes);
        Assert.Contains("opset 22", Assert.Single(result.KeptFloat).Reason, StringComparison.Ordinal);
        Assert.Equal(ops, string.Join(",", b.Graph.Nodes.Select(n => n.OpType)));
        Assert.Equal(17, b.Model.GetOpset());
        Assert.DoesNotContain(b.Graph.DefinedValues(), v => v.ElementType == ElementType.BFloat16);
    }

    [Fact]
    public void BFloat16ConvertsWithoutClampingAndTypesEveryValue()
    {
        var b = Mlp(opset: 21);
        b.Graph.AddInitializer(Tensor.FromArray("unused_big", [1e6f], 1));
        var (result, _) = HalfPrecisionSupport.Convert(b.Model, Fp16 with { Target = ElementType.BFloat16 });
        Assert.Empty(result.Clamped);
        Assert.All(b.Graph.Nodes.Where(n => n.OpType is "MatMul" or "Relu" or "Mul"), n => Assert.Equal(ElementType.BFloat16, n.Output().ElementType));
        Assert.Equal(ElementType.BFloat16, b.Graph.Initializers.Single(i => i.Name == "w").Initializer!.ElementType);
        Assert.Equal(ElementType.Float, b.Graph.Outputs[0].ElementType);
        Assert.Equal(22, b.Model.GetOpset());
        Assert.Equal((ushort)0x3F80, HalfTensors.ToBFloat16(1f));
        Assert.Equal((ushort)0x4049, HalfTensors.ToBFloat16(3.14159f));
    }
}
