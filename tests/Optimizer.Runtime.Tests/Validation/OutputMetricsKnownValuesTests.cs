using Optimizer.Runtime.Data;
using Optimizer.Runtime.Validation;

namespace Optimizer.Runtime.Tests.Validation;

/// <summary>
/// The metrics that decide the gates, on constructed pairs whose values were worked out by hand (the literals below
/// come from the arithmetic in the comments, not from the code under test), over several samples so the streaming
/// sums are exercised.
/// </summary>
public sealed class OutputMetricsKnownValuesTests
{
    private const double Tight = 1e-12;

    private static OutputMetrics Measure(params (float[] Baseline, float[] Candidate)[] samples)
    {
        var stats = new OutputStats("y");
        foreach (var (a, b) in samples)
            stats.Add(HostTensor.FromArray(a, [a.Length]), HostTensor.FromArray(b, [b.Length]), "test");
        return stats.Metrics();
    }

    /// <summary>
    /// Sample 1: a = [3, 4], b = [3.5, 3.5] (noise ±0.5): |a|² = 25, |b − a|² = 0.5, a·b = 24.5, |b|² = 24.5,
    /// so cosine = 24.5 / (5·√24.5) = √24.5 / 5 = 0.98994949366116...
    /// Sample 2: a = [1, 0], b = [0, 1], orthogonal: cosine 0, |b − a|² = 2, |a|² = 1.
    /// Over both: Σ|b − a|² = 2.5, Σ|a|² = 26, Σ|b − a| = 0.5 + 0.5 + 1 + 1 = 3 over 4 elements.
    /// </summary>
    private static OutputMetrics NoiseThenOrthogonal() => Measure(
        ([3f, 4f], [3.5f, 3.5f]),
        ([1f, 0f], [0f, 1f]));

    [Fact]
    public void NoiseAndOrthogonalSamplesGiveTheHandComputedFigures()
    {
        var m = NoiseThenOrthogonal();
        Assert.Equal(2, m.Samples);
        Assert.Equal(0.4949747468305833, m.CosineSimilarity, Tight);   // (√24.5/5 + 0) / 2
        Assert.Equal(0.0, m.MinCosineSimilarity, Tight);               // the orthogonal sample
        Assert.Equal(0.31008683647302115, m.RelativeL2Error, Tight);   // √(2.5 / 26)
        Assert.Equal(10.170333392987803, m.SqnrDb, Tight);             // 10·log10(26 / 2.5)
        Assert.Equal(0.75, m.MeanAbsError, Tight);                     // 3 / 4
        Assert.Equal(1.0, m.MaxAbsError, Tight);
    }

    [Fact]
    public void AScaledCopyHasCosineOneAndRelativeErrorOfTheScaleMinusOne()
    {
        // b = 2a: the direction is the same (cosine 1), b − a = a so ‖b − a‖ / ‖a‖ = 1 and SQNR = 10·log10(1) = 0 dB.
        // Σ|a| = (1+2+3+4) + (1+0+5+2) = 18 over 8 elements; the largest |a| is 5.
        var m = Measure(
            ([1f, 2f, 3f, 4f], [2f, 4f, 6f, 8f]),
            ([-1f, 0f, 5f, 2f], [-2f, 0f, 10f, 4f]));
        Assert.Equal(1.0, m.CosineSimilarity, Tight);
        Assert.Equal(1.0, m.MinCosineSimilarity, Tight);
        Assert.Equal(1.0, m.RelativeL2Error, Tight);
        Assert.Equal(0.0, m.SqnrDb, Tight);
        Assert.Equal(18.0 / 8, m.MeanAbsError, Tight);
        Assert.Equal(5.0, m.MaxAbsError, Tight);
    }

    [Fact]
    public void ErrorsArePooledOverAllElementsNotAveragedPerSample()
    {
        // Sample 1: b = 2a with |a|² = 30, |b − a|² = 30 (relative error 1 alone).
        // Sample 2: b = −a with |a|² = 30, |b − a|² = 4·30 = 120 (relative error 2 alone), cosine −1.
        // Pooled: √(150 / 60) = √2.5 = 1.5811..., not the per-sample mean 1.5; SQNR = 10·log10(60 / 150).
        // Σ|b − a| = 10 + 2·8 = 26 over 8 elements; the largest difference is 2·5 = 10.
        var m = Measure(
            ([1f, 2f, 3f, 4f], [2f, 4f, 6f, 8f]),
            ([-1f, 0f, 5f, 2f], [1f, 0f, -5f, -2f]));
        Assert.Equal(1.5811388300841898, m.RelativeL2Error, Tight);
        Assert.Equal(-3.979400086720376, m.SqnrDb, Tight);
        Assert.Equal(0.0, m.CosineSimilarity, Tight);                  // (1 + −1) / 2
        Assert.Equal(-1.0, m.MinCosineSimilarity, Tight);
        Assert.Equal(26.0 / 8, m.MeanAbsError, Tight);
        Assert.Equal(10.0, m.MaxAbsError, Tight);
    }

    [Fact]
    public void ANaNInTheCandidateCountsAsAnInfiniteError()
    {
        var m = Measure(([1f, 2f], [1f, float.NaN]));
        Assert.Equal(double.PositiveInfinity, m.MaxAbsError);
        Assert.Equal(double.PositiveInfinity, m.MeanAbsError);
        Assert.Equal(double.PositiveInfinity, m.RelativeL2Error);
        Assert.Equal(0.0, m.CosineSimilarity);                        // a NaN cosine is taken as no agreement
    }

    [Theory]
    // Thresholds just either side of the hand-computed values of NoiseThenOrthogonal.
    [InlineData("cosine=0.49497474", true)]
    [InlineData("cosine=0.49497475", false)]
    [InlineData("min-cosine=0", true)]
    [InlineData("min-cosine=0.000001", false)]
    [InlineData("sqnr=10.17033", true)]
    [InlineData("sqnr=10.17034", false)]
    [InlineData("rel-l2=0.31008684", true)]
    [InlineData("rel-l2=0.31008683", false)]
    [InlineData("mean-abs=0.75", true)]
    [InlineData("mean-abs=0.7499999", false)]
    [InlineData("max-abs=1", true)]
    [InlineData("max-abs=0.9999999", false)]
    public void GatesPassJustInsideAndFailJustOutsideTheMeasuredValue(string text, bool passes)
    {
        var gate = Gate.Parse(text);
        var result = Assert.Single(GateEvaluator.Evaluate([gate], [NoiseThenOrthogonal()], null, new LatencyComparison(1, 1, 1, 1)));
        Assert.Equal(passes, result.Passed);
        Assert.Equal("y", result.Output);
        Assert.Contains(passes ? " passed: " : " failed: ", result.Message);
        if (!passes)
            Assert.Contains(gate.HigherIsBetter ? "short by" : "over by", result.Message);
    }

    [Fact]
    public void TheGateJudgesTheWorstOfSeveralOutputs()
    {
        var good = new OutputStats("good");
        good.Add(HostTensor.FromArray(new[] { 1f, 2f }, [2]), HostTensor.FromArray(new[] { 1f, 2f }, [2]), "test");
        var bad = NoiseThenOrthogonal() with { Name = "bad" };
        var result = Assert.Single(GateEvaluator.Evaluate([Gate.Parse("sqnr=10")], [good.Metrics(), bad], null, new LatencyComparison(1, 1, 1, 1)));
        Assert.True(result.Passed);
        Assert.Equal(("bad", 10.170333392987803), (result.Output, result.Actual));
        var failed = Assert.Single(GateEvaluator.Evaluate([Gate.Parse("sqnr=11")], [good.Metrics(), bad], null, new LatencyComparison(1, 1, 1, 1)));
        Assert.False(failed.Passed);
        Assert.Equal("gate sqnr >= 11 failed: 10.1703 on output 'bad', short by 0.8297", failed.Message);
    }
}
