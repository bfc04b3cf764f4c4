using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Pruning;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Pruning;

public class StructuredPruningTests
{
    /// <summary>Conv(8) → Relu → Conv(6) → output, channels 1 and 5 of the first Conv planted as zero (filter and bias).</summary>
    private static Model ConvChain(bool plant = true)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var w1 = b.RandomFloats([8, 3, 3, 3]);
        var b1 = b.RandomFloats([8]);
        if (plant)
            foreach (var c in new[] { 1, 5 })
            {
                Array.Clear(w1, c * 27, 27);
                b1[c] = 0;
            }
        var y = b.Op("Conv", [x, b.Initializer("w1", w1, 8, 3, 3, 3), b.Initializer("b1", b1, 8)], ("pads", new[] { 1, 1, 1, 1 }));
        var r = b.Op("Relu", [y]);
        b.Output(b.Op("Conv", [r, b.RandomInitializer("w2", 0.5f, 6, 8, 1, 1), b.RandomInitializer("b2", 0.5f, 6)]));
        return b.Build();
    }

    [Fact]
    public void RemovesPlantedZeroChannelsLosslessly()
    {
        var pass = new StructuredPruning(new PruningSettings { Threshold = 1e-9 });
        var run = PassHarness.Run(ConvChain(), pass);
        run.AssertSameOutputs(1e-5);
        Assert.Equal([6L, 3, 3, 3], Patterns.Constant(run.Model.Graph.Nodes[0].Input(1))!.Dims);
        Assert.Equal([6L, 6, 1, 1], Patterns.Constant(run.Model.Graph.Nodes[2].Input(1))!.Dims);
        var layer = pass.Result!.Layers.Single(l => l.ChannelsBefore == 8);
        Assert.Equal(6, layer.ChannelsAfter);
        Assert.True(pass.Result.FlopsAfter < pass.Result.FlopsBefore);
        Assert.True(pass.Result.ParametersAfter < pass.Result.ParametersBefore);
    }

    [Fact]
    public void ThresholdZeroLeavesTheModelExactlyAsItWas()
    {
        var run = PassHarness.Run(ConvChain(), new StructuredPruning(new PruningSettings { Threshold = 0 }));
        Assert.Equal(0, run.MaxRelativeError());
        Assert.False(run.Records[0].Changed);
        run.AssertDeclined("below 0");
    }

    [Fact]
    public void AmountRemovesTheSmallestNormsAndKeepsTheOutputChannels()
    {
        var pass = new StructuredPruning(new PruningSettings { Amount = 0.5, Norm = PruneNorm.L1 });
        var run = PassHarness.Run(ConvChain(plant: false), pass);
        var first = pass.Result!.Layers[0];
        Assert.Equal(4, first.ChannelsAfter);
        // The last Conv's channels are the graph output: never removed.
        Assert.Equal(6, pass.Result.Layers[1].ChannelsAfter);
        run.AssertDeclined("reach the graph output");
        Assert.InRange(run.MaxRelativeError(), 1e-3, 10); // lossy, but it runs and keeps the output shape
    }

    [Fact]
    public void ResidualBranchesArePrunedTogether()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 4, 6, 6);
        var w1 = b.RandomFloats([8, 4, 1, 1]);
        var w2 = b.RandomFloats([8, 4, 3, 3]);
        Array.Clear(w1, 3 * 4, 4);
        Array.Clear(w2, 3 * 36, 36);
        var a1 = b.Op("Conv", [x, b.Initializer("w1", w1, 8, 4, 1, 1)]);
        var a2 = b.Op("Conv", [x, b.Initializer("w2", w2, 8, 4, 3, 3)], ("pads", new[] { 1, 1, 1, 1 }));
        var sum = b.Op("Add", [a1, a2]);
        // Only one branch's channel 0 is zero: its partner is not, so the pair stays.
        var pooled = b.Op("GlobalAveragePool", [b.Op("Relu", [sum])]);
        var flat = b.Op("Flatten", [pooled]);
        b.Output(b.Op("Gemm", [flat, b.RandomInitializer("wg", 0.5f, 5, 8)], ("transB", 1)));
        var pass = new StructuredPruning(new PruningSettings { Threshold = 1e-9 });
        var run = PassHarness.Run(b.Build(), pass);
        run.AssertSameOutputs(1e-5);
        var group = Assert.Single(pass.Result!.Groups, g => g.Layers.Count == 2);
        Assert.Equal(1, group.Removed);
        Assert.All(pass.Result.Layers.Where(l => l.OpType == "Conv"), l => Assert.Equal(7, l.ChannelsAfter));
        Assert.Equal([5L, 7], Patterns.Constant(run.Model.Graph.Nodes.Single(n => n.OpType == "Gemm").Input(1))!.Dims);
    }

    [Fact]
    public void FollowsDepthwiseConcatBatchNormAndFlattenIntoGemm()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 8, 8);
        var e = b.Op("Clip", [b.Op("Conv", [x, b.RandomInitializer("we", 0.5f, 6, 3, 1, 1), b.RandomInitializer("be", 0.5f, 6)]),
            b.Initializer("lo", new[] { 0f }), b.Initializer("hi", new[] { 6f })]);
        var d = b.Op("Conv", [e, b.RandomInitializer("wd", 0.5f, 6, 1, 3, 3), b.RandomInitializer("bd", 0.5f, 6)], ("group", 6), ("pads", new[] { 1, 1, 1, 1 }));
        var n = Fusion.BatchNormIntoConvTests.BatchNorm(b, d, 6);
        var other = b.Op("Relu", [b.Op("Conv", [x, b.RandomInitializer("wo", 0.5f, 4, 3, 3, 3)], ("pads", new[] { 1, 1, 1, 1 }))]);
        var cat = b.Op("Concat", [n, other], ("axis", 1));
        var pooled = b.Op("MaxPool", [cat], ("kernel_shape", new[] { 4, 4 }), ("strides", new[] { 4, 4 }));
        var flat = b.Op("Flatten", [pooled]);
        b.Output(b.Op("Gemm", [flat, b.RandomInitializer("wg", 0.5f, 40, 5), b.RandomInitializer("cg", 0.5f, 5)]));
        var pass = new StructuredPruning(new PruningSettings { Amount = 0.5 });
        var run = PassHarness.Run(b.Build(), pass);
        var gemm = run.Model.Graph.Nodes.Single(x => x.OpType == "Gemm");
        // 6 → 3 and 4 → 2 channels of 2×2 positions each: 20 rows of the Gemm weight remain.
        Assert.Equal([20L, 5], Patterns.Constant(gemm.Input(1))!.Dims);
        Assert.Equal(3, run.Model.Graph.Nodes.Single(x => x.OpType == "Conv" && x.GetInt("group", 1) > 1).GetInt("group", 1));
        Assert.InRange(run.MaxRelativeError(), 0, 10);
    }

    [Fact]
    public void DeclinesWhenAReshapeHardCodesTheChannelCount()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 4, 4);
        var w = b.RandomFloats([8, 3, 1, 1]);
        Array.Clear(w, 0, 3);
        var y = b.Op("Relu", [b.Op("Conv", [x, b.Initializer("w", w, 8, 3, 1, 1)])]);
        b.Output(b.Op("Reshape", [y, b.Initializer("shape", new long[] { 1, 8, 16 }, 3)]));
        var pass = new StructuredPruning(new PruningSettings { Threshold = 1e-9 });
        var run = PassHarness.Run(b.Build(), pass);
        run.AssertDeclined("hard-codes the channel count");
        Assert.Equal(0, run.MaxRelativeError());
        Assert.Equal(0, pass.Result!.ChannelsRemoved);
    }

    [Fact]
    public void ExcludedLayersAndTheMaximumPerLayerAreRespected()
    {
        var excluded = new StructuredPruning(new PruningSettings { Amount = 0.5, Exclude = new HashSet<string> { "Conv_2" } });
        var model = ConvChain(plant: false);
        model.Graph.Nodes[0].Name = "Conv_2";
        PassHarness.Run(model, excluded).AssertDeclined("is excluded");
        Assert.Equal(8, excluded.Result!.Layers[0].ChannelsAfter);

        var bounded = new StructuredPruning(new PruningSettings { Amount = 0.75, MaxPerLayer = 0.25 });
        PassHarness.Run(ConvChain(plant: false), bounded).AssertDeclined("--prune-max-per-layer");
        Assert.Equal(6, bounded.Result!.Layers[0].ChannelsAfter);

        var sparedModel = ConvChain(plant: false);
        var spared = new StructuredPruning(new PruningSettings { Amount = 0.5, Spared = new HashSet<string> { sparedModel.Graph.Nodes[0].Name } });
        var run = PassHarness.Run(sparedModel, spared);
        run.AssertDeclined("the accuracy budget spares it");
        Assert.Equal(0, run.MaxRelativeError());
    }

    [Fact]
    public void KeptChannelsRoundUpToTheChannelMultiple()
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, 3, 4, 4);
        var y = b.Op("Relu", [b.Op("Conv", [x, b.RandomInitializer("w1", 0.5f, 32, 3, 1, 1)])]);
        b.Output(b.Op("Conv", [y, b.RandomInitializer("w2", 0.5f, 4, 32, 1, 1)]));
        // 30 % of 32 is 10 channels: 22 kept, rounded to the nearest multiple of 8, 24.
        var pass = new StructuredPruning(new PruningSettings { Amount = 0.3, ChannelMultiple = 8 });
        PassHarness.Run(b.Build(), pass);
        Assert.Equal(24, pass.Result!.Layers[0].ChannelsAfter);
    }

    [Fact]
    public void AttentionHeadsGoWholeAndTheReshapeTargetsFollow()
    {
        var b = new GraphBuilder(opset: 14);
        var x = b.Input("x", ElementType.Float, 1, 5, 8);
        Value Projection(string name)
        {
            var w = b.RandomFloats([8, 8]);
            var bias = b.RandomFloats([8]);
            for (var k = 0; k < 8; k++)
                for (var c = 4; c < 8; c++) w[k * 8 + c] = 0; // head 1 (channels 4..7) planted as zero
            Array.Clear(bias, 4, 4);
            var y = b.Op("Add", [b.Op("MatMul", [x, b.Initializer(name, w, 8, 8)]), b.Initializer(name + "_b", bias, 8)]);
            return b.Op("Reshape", [y, b.Initializer(name + "_heads", new long[] { 0, 0, 2, 4 }, 4)]);
        }
        var q = b.Op("Transpose", [Projection("wq")], ("perm", new[] { 0, 2, 1, 3 }));
        var k = b.Op("Transpose", [Projection("wk")], ("perm", new[] { 0, 2, 3, 1 }));
        var v = b.Op("Transpose", [Projection("wv")], ("perm", new[] { 0, 2, 1, 3 }));
        var scores = b.Op("Softmax", [b.Op("Div", [b.Op("MatMul", [q, k]), b.Initializer("scale", new[] { 2f })])], ("axis", -1));
        var context = b.Op("Transpose", [b.Op("MatMul", [scores, v])], ("perm", new[] { 0, 2, 1, 3 }));
        var merged = b.Op("Reshape", [context, b.Initializer("merge", new long[] { 0, 0, 8 }, 3)]);
        b.Output(b.Op("MatMul", [merged, b.RandomInitializer("wo", 0.5f, 8, 8)]));
        var pass = new StructuredPruning(new PruningSettings { Threshold = 1e-9 });
        var run = PassHarness.Run(b.Build(), pass);
        run.AssertSameOutputs(1e-5);
        var group = Assert.Single(pass.Result!.Groups, g => g.Removed > 0);
        Assert.Equal(3, group.Layers.Count); // query, key and value, one head removed from each
        var reshapes = run.Model.Graph.Nodes.Where(n => n.OpType == "Reshape").Select(n => Patterns.ConstantInts(n.Input(1))!).ToList();
        Assert.Equal(3, reshapes.Count(t => t.SequenceEqual([0L, 0, 1, 4])));
        Assert.Contains(reshapes, t => t.SequenceEqual([0L, 0, 4]));
        Assert.Equal([4L, 8], Patterns.Constant(run.Model.Graph.Nodes.Last().Input(1))!.Dims);
    }
}
