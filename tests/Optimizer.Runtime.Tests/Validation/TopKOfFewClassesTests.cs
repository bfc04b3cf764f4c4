using Optimizer.Runtime.Data;
using Optimizer.Runtime.Validation;

namespace Optimizer.Runtime.Tests.Validation;

/// <summary>Top-5 agreement of a classifier of fewer than five classes: k = min(5, classes), so a model agrees fully with itself.</summary>
public sealed class TopKOfFewClassesTests
{
    [Fact]
    public void TwoClassesAgainstThemselvesAgreeFully()
    {
        var stats = new OutputStats("prob");
        stats.Add(HostTensor.FromArray(new[] { 0.8f, 0.2f }, [1, 2]), HostTensor.FromArray(new[] { 0.8f, 0.2f }, [1, 2]), "test");
        stats.Add(HostTensor.FromArray(new[] { 0.1f, 0.9f }, [1, 2]), HostTensor.FromArray(new[] { 0.3f, 0.7f }, [1, 2]), "test");
        var m = stats.Metrics();
        Assert.Equal(1.0, m.Top5Agreement);
        Assert.Equal(2, m.TopK);
        Assert.True(Assert.Single(GateEvaluator.Evaluate([Gate.Parse("top5-agreement=0.99")], [m], null, new LatencyComparison(1, 1, 1, 1))).Passed);
    }

    [Fact]
    public void ThreeClassesCountOverlapOutOfThree()
    {
        // both top-3 lists are all three classes: overlap 3 of 3 whatever the order
        var stats = new OutputStats("prob");
        stats.Add(HostTensor.FromArray(new[] { 3f, 2f, 1f }, [1, 3]), HostTensor.FromArray(new[] { 1f, 2f, 3f }, [1, 3]), "test");
        var m = stats.Metrics();
        Assert.Equal((1.0, 0.0, 3), (m.Top5Agreement!.Value, m.Top1Agreement!.Value, m.TopK!.Value));
    }

    [Fact]
    public void FiveOrMoreClassesKeepTopFiveAndWriteNoK()
    {
        // 6 classes; the candidate swaps the 5th and 6th: overlap 4 of 5
        var stats = new OutputStats("prob");
        stats.Add(HostTensor.FromArray(new[] { 6f, 5f, 4f, 3f, 2f, 1f }, [1, 6]), HostTensor.FromArray(new[] { 6f, 5f, 4f, 3f, 1f, 2f }, [1, 6]), "test");
        var m = stats.Metrics();
        Assert.Equal(0.8, m.Top5Agreement!.Value, 12);
        Assert.Null(m.TopK);
    }

    [Fact]
    public void AgainstStoredPredictionsOfTwoClassesTheOverlapIsOutOfTwo()
    {
        var stats = new AgreementStats("prob");
        stats.Add([1, 0], [1, 0]);
        stats.Add([0, 1], [1, 0]);
        var m = stats.Metrics();
        Assert.Equal((1.0, 0.5, 2), (m.Top5Agreement!.Value, m.Top1Agreement!.Value, m.TopK!.Value));
    }
}
