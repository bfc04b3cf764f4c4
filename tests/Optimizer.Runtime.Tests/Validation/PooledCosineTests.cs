using Optimizer.Runtime.Data;
using Optimizer.Runtime.Validation;

namespace Optimizer.Runtime.Tests.Validation;

/// <summary>
/// The worst cosine of mean-pooled token vectors (<c>min-pooled-cosine</c>): what a sentence embedder's user compares,
/// over the tokens the sample's attention mask marks, not the padding around them.
/// </summary>
public sealed class PooledCosineTests
{
    // One row of 3 tokens of width 2: the first two are real, the third is padding.
    private static readonly float[] Baseline = [1, 0, 0, 1, 5, 5];
    private static readonly long[] Mask = [1, 1, 0];

    [Fact]
    public void PaddingTheMaskLeavesOutDoesNotCount()
    {
        // real tokens as the baseline's, the padding token pointing the other way
        float[] candidate = [1, 0, 0, 1, -5, -5];
        var stats = new OutputStats("tokens");
        stats.Add(HostTensor.FromArray(Baseline, [1, 3, 2]), HostTensor.FromArray(candidate, [1, 3, 2]), "test", HostTensor.FromArray(Mask, [1, 3]));
        var m = stats.Metrics();
        Assert.Equal(1.0, m.MinPooledCosine!.Value, 12);
        Assert.True(m.MinCosineSimilarity < 0, $"the whole tensor's cosine {m.MinCosineSimilarity} should see the padding");
    }

    [Fact]
    public void TheMeanOfTheMarkedTokensIsCompared()
    {
        // baseline mean over real tokens (0.5, 0.5); candidate (1, 0) and (1, 1) average to (1, 0.5): cosine 0.75/sqrt(0.5 * 1.25)
        float[] candidate = [1, 0, 1, 1, 9, -9];
        var stats = new OutputStats("tokens");
        stats.Add(HostTensor.FromArray(Baseline, [1, 3, 2]), HostTensor.FromArray(candidate, [1, 3, 2]), "test", HostTensor.FromArray(Mask, [1, 3]));
        Assert.Equal(0.75 / Math.Sqrt(0.5 * 1.25), stats.Metrics().MinPooledCosine!.Value, 12);
    }

    [Fact]
    public void WithoutAMaskOfTheOutputsShapeEveryTokenIsPooledAndTheWorstRowCounts()
    {
        float[] candidate = [1, 0, 0, 1, -5, -5];
        var stats = new OutputStats("tokens");
        // a mask of another length than the output's tokens is not this output's: every token is pooled
        stats.Add(HostTensor.FromArray(Baseline, [1, 3, 2]), HostTensor.FromArray(candidate, [1, 3, 2]), "test", HostTensor.FromArray(new long[] { 1, 1 }, [1, 2]));
        stats.Add(HostTensor.FromArray(Baseline, [1, 3, 2]), HostTensor.FromArray(Baseline, [1, 3, 2]), "test");
        // baseline mean (6, 6)/3, candidate (-4, -4)/3: opposite
        Assert.Equal(-1.0, stats.Metrics().MinPooledCosine!.Value, 12);
    }

    [Fact]
    public void OutputsThatAreNotTokenVectorsHaveNoPooledCosineAndTheGateRefusesThem()
    {
        var stats = new OutputStats("logits");
        stats.Add(HostTensor.FromArray(new[] { 1f, 2f }, [1, 2]), HostTensor.FromArray(new[] { 1f, 2f }, [1, 2]), "test");
        Assert.Null(stats.Metrics().MinPooledCosine);
        var gate = Gate.Parse("min-pooled-cosine=0.998");
        Assert.Equal((GateMetric.MinPooledCosine, 0.998, "min-pooled-cosine >= 0.998"), (gate.Metric, gate.Threshold, gate.Condition));
        var e = Assert.Throws<Onnx.Errors.InvalidInputException>(() =>
            GateEvaluator.Evaluate([gate], [stats.Metrics()], null, new LatencyComparison(1, 1, 1, 1)));
        Assert.Contains("[N, T, C] output of token vectors", e.Message);
    }

    [Fact]
    public void TheGateJudgesTheWorstOutput()
    {
        OutputMetrics Output(string name, double? pooled) => new() { Name = name, MinPooledCosine = pooled };
        var result = Assert.Single(GateEvaluator.Evaluate([Gate.Parse("min-pooled-cosine=0.998")],
            [Output("hidden", 0.9985), Output("other", 0.997), Output("logits", null)], null, new LatencyComparison(1, 1, 1, 1)));
        Assert.False(result.Passed);
        Assert.Equal(("other", 0.997), (result.Output, result.Actual));
    }

    [Theory]
    [InlineData("attention_mask", true)]
    [InlineData("input_mask", true)]
    [InlineData("token_type_ids", false)]
    public void TheTokenMaskIsTheInputExportersNameSo(string input, bool found)
    {
        var mask = HostTensor.FromArray(Mask, [1, 3]);
        var sample = new Sample("s0", "test", new Dictionary<string, HostTensor> { [input] = mask });
        Assert.Equal(found ? mask : null, OutputStats.TokenMaskOf(sample));
    }
}
