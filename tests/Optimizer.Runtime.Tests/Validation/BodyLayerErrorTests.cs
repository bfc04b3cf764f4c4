using Optimizer.Runtime.Data;
using Optimizer.Runtime.Tests.Calibration;
using Optimizer.Runtime.Validation;

namespace Optimizer.Runtime.Tests.Validation;

/// <summary>
/// "Which layer lost the accuracy?" for layers inside If branches (silero VAD keeps all its computation there): their
/// values are lifted out as calibration lifts them and compared only on the samples whose branch ran.
/// </summary>
public sealed class BodyLayerErrorTests
{
    [Fact]
    public void ALayerInsideAnIfBranchIsMeasuredOnTheSamplesThatTookItsBranch()
    {
        var reference = Model(2f);
        var quantized = Model(2.2f); // the then-branch's layer 10 % off, the else-branch's exact
        float[] a = [-1f, 0.5f, 2f, 3f], b = [10f, -4f, 0f, 1f], c = [1f, 2f, 3f, 4f];
        var errors = LayerErrorMeter.Measure(reference, quantized, ["doubled", "shifted", "missing"], new Dictionary<string, (string, string)>(),
            [Sample(a, true), Sample(b, false), Sample(c, true)]);

        Assert.Equal(["doubled", "shifted"], errors.Select(e => e.Value));
        var doubled = errors[0];
        Assert.Equal(8, doubled.Elements); // samples a and c only
        Assert.Equal(20, doubled.SqnrDb, 3); // error 0.1 of the signal everywhere
        Assert.Equal("Mul", doubled.OpType);
        Assert.Equal(4, errors[1].Elements); // sample b only
        Assert.True(double.IsPositiveInfinity(errors[1].SqnrDb));
    }

    [Fact]
    public void ABranchNoSampleTookIsNotReported()
    {
        var notComputed = new List<string>();
        var errors = LayerErrorMeter.Measure(Model(2f), Model(2.2f), ["doubled", "shifted"], new Dictionary<string, (string, string)>(),
            [Sample([1f, 2f, 3f, 4f], true)], notComputed: notComputed);

        Assert.Equal(["doubled"], errors.Select(e => e.Value));
        Assert.Equal(["shifted"], notComputed); // said apart, for the note that names how many have no error
    }

    private static byte[] Model(float factor)
    {
        var graph = SubgraphCalibrationTests.MainGraph(out var x, out var cond);
        graph.AddOutput(SubgraphCalibrationTests.AddTwoBranchIf(graph, x, cond, "y", factor).Output());
        return SubgraphCalibrationTests.Write(graph);
    }

    private static Sample Sample(float[] x, bool cond) => SubgraphCalibrationTests.Sample(x, cond);
}
