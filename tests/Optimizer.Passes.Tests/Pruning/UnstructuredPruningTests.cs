using Optimizer.Onnx.IR;
using Optimizer.Passes.Infrastructure;
using Optimizer.Passes.Pruning;
using Optimizer.Passes.Tests.Support;
using Optimizer.TestKit;

namespace Optimizer.Passes.Tests.Pruning;

public class UnstructuredPruningTests
{
    private static Model Model(int inputChannels = 8)
    {
        var b = new GraphBuilder();
        var x = b.Input("x", ElementType.Float, 1, inputChannels, 6, 6);
        var y = b.Op("Relu", [b.Op("Conv", [x, b.RandomInitializer("w1", 0.5f, 8, inputChannels, 3, 3), b.RandomInitializer("b1", 0.5f, 8)], ("pads", new[] { 1, 1, 1, 1 }))]);
        var flat = b.Op("Flatten", [b.Op("GlobalAveragePool", [y])]);
        b.Output(b.Op("Gemm", [flat, b.RandomInitializer("wg", 0.5f, 8, 12), b.RandomInitializer("cg", 0.5f, 12)]));
        return b.Build();
    }

    [Fact]
    public void AmountZeroesThatFractionOfEachLayer()
    {
        var pass = new UnstructuredPruning(new PruningSettings { Amount = 0.5 });
        var run = PassHarness.Run(Model(), pass);
        Assert.All(pass.Result, l => Assert.InRange(l.Sparsity, 0.49, 0.51));
        Assert.Equal(0.5, Patterns.Constant(run.Model.Graph.Nodes[0].Input(1))!.ToArray<float>().Count(x => x == 0) / 576.0, 2);
        Assert.InRange(run.MaxRelativeError(), 1e-4, 10); // lossy, same shapes, runs
    }

    [Fact]
    public void GlobalScopeCutsOnceOverAllLayers()
    {
        var pass = new UnstructuredPruning(new PruningSettings { Amount = 0.5, Scope = PruneScope.Global });
        PassHarness.Run(Model(), pass);
        var total = pass.Result.Sum(l => l.Weights);
        Assert.InRange(pass.Result.Sum(l => l.ZerosAfter) / (double)total, 0.49, 0.51);
    }

    [Fact]
    public void ThresholdZeroChangesNothing()
    {
        var run = PassHarness.Run(Model(), new UnstructuredPruning(new PruningSettings { Threshold = 0 }));
        Assert.Equal(0, run.MaxRelativeError());
        Assert.False(run.Records[0].Changed);
    }

    [Fact]
    public void TwoFourLeavesTwoZerosInEveryFourInputChannels()
    {
        var pass = new UnstructuredPruning(new PruningSettings { TwoFour = true });
        var run = PassHarness.Run(Model(), pass);
        var w = Patterns.Constant(run.Model.Graph.Nodes[0].Input(1))!.ToArray<float>();
        for (var o = 0; o < 8; o++)
            for (var k = 0; k < 9; k++)
                for (var c = 0; c < 8; c += 4)
                    Assert.Equal(2, Enumerable.Range(c, 4).Count(i => w[(o * 8 + i) * 9 + k] == 0));
        Assert.All(pass.Result, l => Assert.Equal(0.5, l.Sparsity, 3));
        Assert.InRange(run.MaxRelativeError(), 1e-4, 10);
    }

    [Fact]
    public void TwoFourDeclinesAnInputDimensionNotAMultipleOfFour()
    {
        var pass = new UnstructuredPruning(new PruningSettings { TwoFour = true });
        var run = PassHarness.Run(Model(inputChannels: 6), pass);
        run.AssertDeclined("is not a multiple of 4");
        Assert.Equal(0, pass.Result[0].ZerosAfter);
    }
}
