using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Validation;

namespace Optimizer.Runtime.Tests.Validation;

/// <summary>
/// An output of one value per sample ([1, 1]: a wake word's sigmoid, a detector's one score): the cosine of one value
/// with another is only whether their signs agree, so the cosine is taken over all samples' values together.
/// </summary>
public sealed class OneValuePerSampleCosineTests
{
    private static OutputStats Measure(params (float Baseline, float Candidate)[] samples)
    {
        var stats = new OutputStats("score");
        foreach (var (a, b) in samples)
            stats.Add(HostTensor.FromArray(new[] { a }, [1, 1]), HostTensor.FromArray(new[] { b }, [1, 1]), "test");
        return stats;
    }

    [Fact]
    public void ScoresOfTheSameSignButFarApartAreNotACosineOfOne()
    {
        // a = (0.9, 0.1), b = (0.1, 0.9): a·b = 0.18, |a|² = |b|² = 0.82, cosine 0.18 / 0.82 (per sample it was 1 and 1)
        var stats = Measure((0.9f, 0.1f), (0.1f, 0.9f));
        var m = stats.Metrics();
        Assert.True(stats.OneValuePerSample);
        Assert.True(m.CosineOverSamples);
        Assert.Equal(0.18 / 0.82, m.CosineSimilarity, 6);
        Assert.Equal(0.18 / 0.82, m.MinCosineSimilarity, 6);
        var gate = Assert.Single(GateEvaluator.Evaluate([Gate.Parse("min-cosine=0.999")], [m], null, new LatencyComparison(1, 1, 1, 1)));
        Assert.False(gate.Passed);
    }

    [Fact]
    public void EqualScoresStillHaveCosineOne()
    {
        var m = Measure((0.9f, 0.9f), (0.2f, 0.2f), (0.5f, 0.5f)).Metrics();
        Assert.Equal(1.0, m.MinCosineSimilarity, 12);
        Assert.Equal(double.PositiveInfinity, m.SqnrDb);
    }

    [Fact]
    public void OutputsOfSeveralValuesPerSampleKeepTheCosinePerSample()
    {
        // [1, 2] per sample: the worst sample's cosine (orthogonal: 0), not the pooled one
        var stats = new OutputStats("y");
        stats.Add(HostTensor.FromArray(new[] { 1f, 0f }, [1, 2]), HostTensor.FromArray(new[] { 0f, 1f }, [1, 2]), "test");
        stats.Add(HostTensor.FromArray(new[] { 5f, 5f }, [1, 2]), HostTensor.FromArray(new[] { 5f, 5f }, [1, 2]), "test");
        var m = stats.Metrics();
        Assert.False(m.CosineOverSamples);
        Assert.Equal(0.0, m.MinCosineSimilarity, 12);
        Assert.Equal(0.5, m.CosineSimilarity, 12);
    }

    [Fact]
    public void OneSampleOfOneValueHasNoCosineAndTheGateSaysWhatToUseInstead()
    {
        var m = Measure((0.9f, 0.1f)).Metrics();
        Assert.True(double.IsNaN(m.MinCosineSimilarity));
        var e = Assert.Throws<InvalidInputException>(() => GateEvaluator.Evaluate([Gate.Parse("min-cosine=0.99")], [m], null, new LatencyComparison(1, 1, 1, 1)));
        Assert.Contains("one value per sample", e.Message);
        Assert.Contains("max-abs or sqnr", e.Message);
    }
}
