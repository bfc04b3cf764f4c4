using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Validation;

namespace Optimizer.Runtime.Tests.Validation;

public sealed class MaskAgreementTests
{
    [Fact]
    public void CountsTheElementsOnTheSameSideOfEachThreshold()
    {
        // Two 1x1x2x5 score maps, checked by hand: at 0.3 they disagree on 0.29|0.31 and 0.9|0.2 (8 of 10 agree);
        // at 0.5 on 0.6|0.4 and 0.9|0.2 (8 of 10); an element equal to the threshold is outside (x > T is in the mask).
        float[] a = [0.0f, 0.29f, 0.6f, 0.9f, 1.0f, 0.3f, 0.1f, 0.7f, 0.5f, 0.0f];
        float[] b = [0.1f, 0.31f, 0.4f, 0.2f, 0.99f, 0.3f, 0.2f, 0.8f, 0.5f, 0.0f];
        var stats = new OutputStats("maps", [0.3, 0.5]);
        stats.Add(HostTensor.FromArray(a, [1, 1, 2, 5]), HostTensor.FromArray(b, [1, 1, 2, 5]), "test");
        // A second sample that agrees everywhere: the fraction is over all elements of all samples.
        stats.Add(HostTensor.FromArray(a, [1, 1, 2, 5]), HostTensor.FromArray(a, [1, 1, 2, 5]), "test");
        var m = stats.Metrics();
        Assert.Equal(18.0 / 20, m.MaskAgreementAt(0.3));
        Assert.Equal(18.0 / 20, m.MaskAgreementAt(0.5));
        Assert.Null(m.MaskAgreementAt(0.7));
    }

    [Fact]
    public void WithoutThresholdsNoMaskIsCounted()
    {
        var stats = new OutputStats("maps");
        stats.Add(HostTensor.FromArray(new[] { 0.5f }, [1, 1]), HostTensor.FromArray(new[] { 0.5f }, [1, 1]), "test");
        Assert.Empty(stats.Metrics().MaskAgreement);
    }

    [Fact]
    public void TheGateCarriesItsThresholdAndJudgesTheWorstOutput()
    {
        var gate = Gate.Parse("mask-agreement@0.3=0.99");
        Assert.Equal((GateMetric.MaskAgreement, 0.99, 0.3), (gate.Metric, gate.Threshold, gate.At!.Value));
        Assert.Equal("mask-agreement@0.3", gate.Name);
        Assert.Equal("mask-agreement@0.3 >= 0.99", gate.Condition);
        OutputMetrics Output(string name, double agreement) => new() { Name = name, MaskAgreement = [new MaskAgreement(0.3, agreement)] };
        var result = Assert.Single(GateEvaluator.Evaluate([gate], [Output("a", 0.999), Output("b", 0.98)], null, new LatencyComparison(1, 1, 1, 1)));
        Assert.False(result.Passed);
        Assert.Equal(("b", 0.98), (result.Output, result.Actual));
    }

    [Theory]
    [InlineData("mask-agreement=0.99")]
    [InlineData("mask-agreement@x=0.99")]
    [InlineData("cosine@0.3=0.99")]
    public void AMaskGateWithoutAThresholdOrAThresholdElsewhereIsAUsageError(string text) =>
        Assert.Throws<InvalidInputException>(() => Gate.Parse(text));
}
