using Optimizer.Cli.Pipeline;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Tests;

/// <summary>
/// SmoothQuant's auto choice keeps a smoothing only when it removes a fifth of the unsmoothed model's error: it costs a
/// Mul per residual reader, which a hair's gain does not pay for.
/// </summary>
public sealed class SmoothQuantChoiceTests
{
    private static CandidateScore Cosine(double value) => CandidateScore.Judge(
        [new OutputMetrics { Name = "hidden", MinPooledCosine = value, SqnrDb = 30 }], [Gate.Parse("min-pooled-cosine=0")]);

    private static CandidateScore Sqnr(double db) => CandidateScore.Judge([new OutputMetrics { Name = "y", SqnrDb = db }], []);

    [Theory]
    [InlineData(0.9919, 0.9981, true)]      // all-MiniLM-L6-v2: the error 0.0081 -> 0.0019
    [InlineData(0.99999, 0.999991, false)]  // bert_mini: a tenth of a 1e-5 error
    [InlineData(0.99, 0.992, true)]         // exactly a fifth
    [InlineData(0.99, 0.989, false)]        // worse
    public void ACosineGainMustRemoveAFifthOfTheError(double off, double smoothed, bool kept) =>
        Assert.Equal(kept, SmoothQuantChoice.ClearlyBetter(Cosine(smoothed), Cosine(off)));

    [Theory]
    [InlineData(20.0, 21.0, true)]   // 1 dB: a fifth of the noise power
    [InlineData(20.0, 20.5, false)]
    public void WithoutAGateTheNoisePowerDecides(double off, double smoothed, bool kept) =>
        Assert.Equal(kept, SmoothQuantChoice.ClearlyBetter(Sqnr(smoothed), Sqnr(off)));

    [Fact]
    public void AnUpperBoundGainsByItsValue()
    {
        CandidateScore MaxAbs(double value) => CandidateScore.Judge([new OutputMetrics { Name = "y", MaxAbsError = value, SqnrDb = 30 }], [Gate.Parse("max-abs=1")]);
        Assert.True(SmoothQuantChoice.ClearlyBetter(MaxAbs(0.08), MaxAbs(0.1)));
        Assert.False(SmoothQuantChoice.ClearlyBetter(MaxAbs(0.09), MaxAbs(0.1)));
    }
}
