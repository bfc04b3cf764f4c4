using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Opset;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Opset;

/// <summary>
/// Models of the first exporters (opset 1..8, IR 3) upgraded to current opsets. ONNX Runtime still runs opset 7 and 8,
/// so those compare before and after; it has no kernel left for Add-6, Gemm-6, PRelu-6, BatchNormalization-6 or the
/// opset-1 forms, so those compare with the old meaning computed here or written by hand in the new form.
/// </summary>
public class LegacyOpsetUpgradeTests
{
    [Theory]
    [InlineData(9)]
    [InlineData(13)]
    [InlineData(21)]
    public void AnOpset7ModelKeepsItsResults(long target)
    {
        var b = new GraphBuilder(opset: 7);
        b.Model.IrVersion = 3;
        var x = b.Input("x", ElementType.Float, 1, 2, 3, 4);
        var v = b.Op("Upsample", [x], ("scales", new[] { 1f, 1f, 2f, 2f }), ("mode", "nearest"));
        v.Type = new TensorTypeInfo(ElementType.Float, new Shape(1, 2, 6, 8)); // as shape inference records it
        v = b.Op("BatchNormalization", [v, b.Initializer("s", new[] { 0.5f, 2f }, 2), b.Initializer("bias", new[] { 0.1f, -0.1f }, 2),
            b.Initializer("mean", new[] { 0.2f, 0.3f }, 2), b.Initializer("var", new[] { 1.5f, 0.5f }, 2)], ("spatial", 1), ("epsilon", 1e-3f));
        v = b.Op("Dropout", [v], ("ratio", 0.3f));
        v = b.Op("Add", [v, b.Initializer("shift", new[] { -0.5f, 0f, 0.25f, 0.5f, 1f, 1.5f, 2f, 2.5f }, 8)]);
        b.Output(v);

        var run = PassHarness.Run(b.Model, new PassOptions { TargetOpset = target }, new UpgradeOpset());

        Assert.Equal(target, b.Model.GetOpset());
        Assert.True(b.Model.IrVersion >= 5);
        Assert.DoesNotContain(b.Graph.Nodes, n => n.HasAttribute("spatial") || n.HasAttribute("scales"));
        run.AssertSameOutputs();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LegacyBroadcastingAtAnAxisBecomesNumpyBroadcasting(bool constant)
    {
        var b = new GraphBuilder(opset: 6);
        b.Model.IrVersion = 3;
        var a = b.Input("a", ElementType.Float, 2, 3, 4);
        var bias = constant ? b.Initializer("b", new[] { 1f, 10f, 100f }, 3) : b.Input("b", ElementType.Float, 3);
        b.Output(b.Op("Add", [a, bias], ("broadcast", 1), ("axis", 1)));

        var run = PassHarness.Run(b.Model, new PassOptions { TargetOpset = 13 }, new UpgradeOpset());

        Assert.DoesNotContain(b.Graph.Nodes, n => n.HasAttribute("broadcast") || n.HasAttribute("axis"));
        Assert.Equal(constant ? "Add" : "Reshape,Add", run.Ops);
        var inputs = OrtRunner.SeededInputs(b.Model);
        var x = inputs["a"].AsDoubles();
        double[] y = constant ? [1, 10, 100] : inputs["b"].AsDoubles();
        // out[i, j, k] = a[i, j, k] + b[j]
        var expected = x.Select((value, index) => value + y[index / 4 % 3]).ToArray();
        AssertClose(expected, OrtRunner.Run(b.Model, inputs).Values.Single().AsDoubles());
    }

    [Fact]
    public void APerChannelPReluSlopeLinesUpWithTheChannels()
    {
        var b = new GraphBuilder(opset: 6);
        var x = b.Input("x", ElementType.Float, 2, 3, 2, 2);
        b.Output(b.Op("PRelu", [x, b.Initializer("slope", new[] { 0.1f, 0.2f, 0.3f }, 3)]));

        PassHarness.Run(b.Model, new PassOptions { TargetOpset = 13 }, new UpgradeOpset());

        var inputs = OrtRunner.SeededInputs(b.Model);
        // slope[c] applies along axis 1 (channels), as Caffe2's PRelu: y = x < 0 ? slope[c] * x : x
        var expected = inputs["x"].AsDoubles().Select((v, i) => v < 0 ? v * (0.1 * (i / 4 % 3 + 1)) : v).ToArray();
        AssertClose(expected, OrtRunner.Run(b.Model, inputs).Values.Single().AsDoubles());
    }

    [Fact]
    public void Opset6GemmAndBatchNormalizationLoseTheirLegacyAttributes()
    {
        var old = new GraphBuilder(opset: 6);
        var now = new GraphBuilder(opset: 13);
        foreach (var (b, legacy) in new[] { (old, true), (now, false) })
        {
            var x = b.Input("x", ElementType.Float, 2, 3);
            (string, object)[] gemm = legacy ? [("broadcast", 1), ("transB", 1)] : [("transB", 1)];
            var v = b.Op("Gemm", [x, b.Initializer("w", new[] { 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f }, 4, 3), b.Initializer("c", new[] { 1f, -1f, 2f, -2f }, 4)], gemm);
            v = b.Op("Reshape", [v, b.Initializer("shape", new long[] { 2, 4, 1 }, 3)]);
            (string, object)[] bn = legacy ? [("is_test", 1), ("epsilon", 1e-3f)] : [("epsilon", 1e-3f)];
            b.Output(b.Op("BatchNormalization", [v, b.Initializer("s", new[] { 1f, 2f, 3f, 4f }, 4), b.Initializer("bias", new[] { 0f, 1f, 0f, 1f }, 4),
                b.Initializer("mean", new[] { 1f, 1f, 2f, 2f }, 4), b.Initializer("var", new[] { 1f, 4f, 9f, 16f }, 4)], bn));
        }
        PassHarness.Run(old.Model, new PassOptions { TargetOpset = 13 }, new UpgradeOpset());
        AssertSameAs(now.Model, old.Model);
    }

    /// <summary>Opset-1 forms next to the same model written at opset 13 by hand.</summary>
    [Fact]
    public void Opset1FormsBecomeTheirOpset13Forms()
    {
        var old = new GraphBuilder(opset: 1);
        old.Model.IrVersion = 3;
        {
            var x = old.Input("x", ElementType.Float, 2, 3);
            var t = old.Op("Tile", [x, old.Constant(Tensor.FromArray("tiles", new long[] { 2 }, 1)), old.Constant(Tensor.FromArray("axis", new long[] { 1 }, 1))]);
            t.Type = new TensorTypeInfo(ElementType.Float, new Shape(2, 6));
            var r = old.Op("Reshape", [t], ("shape", new[] { 3, 4 }), ("consumed_inputs", new[] { 0 }));
            var c = old.Op("Concat", [r, r]);
            var p = old.Op("Pad", [c], ("paddings", new[] { 0, 1, 1, 0 }), ("value", 0.5f));
            var parts = old.Node("Split", [p, old.Initializer("sizes", new long[] { 4, 5 }, 2)], 2, ("axis", 1));
            var s = old.Op("Selu", [parts.Outputs[0]!], ("consumed_inputs", new[] { 0 }));
            var d = old.Op("Cast", [parts.Outputs[1]!], ("to", "DOUBLE"));
            var u = old.Op("Upsample", [old.Op("Reshape", [s], ("shape", new[] { 1, 1, 4, 4 }))], ("height_scale", 2f), ("width_scale", 3f));
            old.Output(u, d);
        }
        var now = new GraphBuilder(opset: 13);
        {
            var x = now.Input("x", ElementType.Float, 2, 3);
            var t = now.Op("Tile", [x, now.Initializer("repeats", new long[] { 1, 2 }, 2)]);
            var r = now.Op("Reshape", [t, now.Initializer("shape", new long[] { 3, 4 }, 2)]);
            var c = now.Op("Concat", [r, r], ("axis", 1));
            var p = now.Op("Pad", [c, now.Initializer("pads", new long[] { 0, 1, 1, 0 }, 4), now.Initializer("value", new[] { 0.5f })]);
            var parts = now.Node("Split", [p, now.Initializer("sizes", new long[] { 4, 5 }, 2)], 2, ("axis", 1));
            var s = now.Op("Selu", [parts.Outputs[0]!], ("alpha", 1.6732f), ("gamma", 1.0507f));
            var d = now.Op("Cast", [parts.Outputs[1]!], ("to", (int)ElementType.Double));
            var shaped = now.Op("Reshape", [s, now.Initializer("shape2", new long[] { 1, 1, 4, 4 }, 4)]);
            var u = now.Op("Resize", [shaped, null, now.Initializer("scales", new[] { 1f, 1f, 2f, 3f }, 4)],
                ("mode", "nearest"), ("coordinate_transformation_mode", "asymmetric"), ("nearest_mode", "floor"));
            now.Output(u, d);
        }

        PassHarness.Run(old.Model, new PassOptions { TargetOpset = 13 }, new UpgradeOpset());

        Assert.Equal(7, old.Model.IrVersion);
        Assert.DoesNotContain(old.Graph.Nodes, n => n.OpType == "Constant" || n.HasAttribute("consumed_inputs"));
        AssertSameAs(now.Model, old.Model);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(13)]
    public void AScan8OverABatchOfOneBecomesAScan9(long target)
    {
        var b = new GraphBuilder(opset: 8);
        var body = new Graph("body");
        var sum = body.AddInput("sum_in", new TensorTypeInfo(ElementType.Float, new Shape(2)));
        var next = body.AddInput("next", new TensorTypeInfo(ElementType.Float, new Shape(2)));
        var total = b.NodeIn(body, "Add", [sum, next], 1, []).Output();
        body.AddOutput(total);
        body.AddOutput(b.NodeIn(body, "Identity", [total], 1, []).Output());
        var scan = b.Node("Scan", [null, b.Input("initial", ElementType.Float, 1, 2), b.Input("x", ElementType.Float, 1, 3, 2)], 2,
            ("body", body), ("num_scan_inputs", 1), ("directions", new[] { 1 }));
        b.Output(scan.Outputs[0]!, scan.Outputs[1]!);

        var run = PassHarness.Run(b.Model, new PassOptions { TargetOpset = target }, new UpgradeOpset());

        Assert.Equal("Squeeze,Squeeze,Scan,Unsqueeze,Unsqueeze", run.Ops);
        Assert.True(scan.HasAttribute("scan_input_directions"));
        run.AssertSameOutputs();
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "training BatchNormalization", "is_test=0 (training mode" },
        { "broadcast at an axis, rank unknown", "needs the ranks of both inputs" },
        { "Split-1 without axis", "Split-1 without an axis" },
        { "PRelu slope on no axis", "has no numpy-style equivalent" },
        { "LpPool p=1.5", "is not an integer" },
        { "Scan-8", "Scan-8 over a batch not known to hold one sequence" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void RefusesWhatItCannotCarryExactly(string model, string reason)
    {
        var b = new GraphBuilder(opset: model == "Scan-8" ? 8 : 6);
        var x = b.Input("x", ElementType.Float, 2, 3, 4, 5);
        b.Output(model switch
        {
            "training BatchNormalization" => b.Op("BatchNormalization", [x, .. Enumerable.Range(0, 4).Select(i => b.Initializer($"p{i}", new[] { 1f, 1f, 1f }, 3))]),
            "broadcast at an axis, rank unknown" => b.Op("Mul", [x, b.Graph.AddInput("y")], ("broadcast", 1), ("axis", 1)),
            "Split-1 without axis" => b.Node("Split", [x], 2).Outputs[0]!,
            "PRelu slope on no axis" => b.Op("PRelu", [x, b.Initializer("slope", new[] { 1f, 2f, 3f, 4f }, 4)]),
            "LpPool p=1.5" => b.Op("GlobalLpPool", [x], ("p", 1.5f)),
            _ => b.Node("Scan", [null, x], 1, ("body", new Graph("body")), ("num_scan_inputs", 1)).Outputs[0]!,
        });
        if (model is "Split-1 without axis" or "LpPool p=1.5") b.Model.SetOpset("", 1);

        var e = Assert.Throws<InvalidInputException>(() => PassHarness.Run(b.Model, new PassOptions { TargetOpset = 13 }, new UpgradeOpset()));

        Assert.Contains(reason, e.Message);
        Assert.True(b.Model.GetOpset() < 9);
    }

    private static void AssertSameAs(Model expected, Model actual)
    {
        var inputs = OrtRunner.SeededInputs(actual);
        var want = OrtRunner.Run(expected, inputs);
        var got = OrtRunner.Run(actual, inputs);
        for (var i = 0; i < expected.Graph.Outputs.Count; i++)
        {
            Assert.Equal(want[expected.Graph.Outputs[i].Name].Dims, got[actual.Graph.Outputs[i].Name].Dims);
            AssertClose(want[expected.Graph.Outputs[i].Name].AsDoubles(), got[actual.Graph.Outputs[i].Name].AsDoubles());
        }
    }

    private static void AssertClose(double[] expected, double[] actual) => Assert.InRange(OrtRunner.RelativeError(expected, actual), 0, 1e-5);
}
