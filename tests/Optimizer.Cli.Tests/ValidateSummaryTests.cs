using Optimizer.Cli.Commands;
using Optimizer.Runtime.Benchmark;
using Optimizer.Runtime.Validation;

namespace Optimizer.Cli.Tests;

/// <summary>What the validate summary says about speed, from the side-by-side estimate it is given.</summary>
public class ValidateSummaryTests
{
    private static string Print(double low, double high)
    {
        var report = new ValidationReport
        {
            Baseline = "fp32/model.onnx",
            Candidate = "int8/model.onnx",
            Data = "data",
            Outputs = [],
            Latency = new LatencyComparison(1.0, 1.1, 1.4, 1.5) { Estimate = new SpeedupEstimate((low + high) / 2, low, high, 200, SpeedupEstimate.DefaultConfidence) },
        };
        var text = new StringWriter();
        ValidateSummary.Print(report, text);
        return text.ToString();
    }

    [Fact]
    public void ACandidateSurelySlowerIsSaidToBeSlowerWithTheCommandThatShowsWhy()
    {
        var text = Print(0.68, 0.71);
        Assert.Contains("the candidate is slower than the baseline", text);
        Assert.Contains("optimize bench int8/model.onnx --baseline fp32/model.onnx --profile", text);
    }

    [Theory]
    [InlineData(0.9, 1.1)]
    [InlineData(1.5, 2.5)]
    public void ACandidateNotSurelySlowerIsNotCalledSlower(double low, double high) =>
        Assert.DoesNotContain("slower", Print(low, high));
}
