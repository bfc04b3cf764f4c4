using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.Runtime.Validation;

namespace Optimizer.Runtime.Tests.Validation;

/// <summary>The <c>ctc-agreement</c> gate: greedy CTC decoding, its agreement and token error rate, and parsing K.</summary>
public sealed class CtcAgreementTests
{
    // Three classes: 0 the blank (by default), 1 'a', 2 'b'.
    private const int Classes = 3;

    /// <summary>[rows, T, 3] scores whose arg-max at each step is the given class: <paramref name="peak"/> there, 0.1 elsewhere.</summary>
    private static HostTensor Scores(int[][] rows, float peak = 0.8f, int classes = Classes)
    {
        var steps = rows[0].Length;
        var values = new float[rows.Length * steps * classes];
        for (var r = 0; r < rows.Length; r++)
            for (var t = 0; t < steps; t++)
                for (var c = 0; c < classes; c++)
                    values[(r * steps + t) * classes + c] = c == rows[r][t] ? peak : 0.1f;
        return HostTensor.FromArray(values, [rows.Length, steps, classes]);
    }

    [Theory]
    [InlineData(new[] { 1, 1, 0, 1 }, 0, new[] { 1, 1 })]       // "a a _ a" reads "aa": the blank parts two a's
    [InlineData(new[] { 0, 1, 1, 2, 2, 0, 2, 0 }, 0, new[] { 1, 2, 2 })]
    [InlineData(new[] { 0, 0, 0 }, 0, new int[0])]
    [InlineData(new[] { 1, 1, 0, 1 }, 2, new[] { 1, 0, 1 })]    // with blank 2, class 0 is a token like any other
    public void GreedyDecodingMergesRepeatsThenDropsTheBlank(int[] steps, int blank, int[] expected) =>
        Assert.Equal(expected, CtcDecoding.Greedy(steps, blank));

    [Fact]
    public void StepsThatMoveWithoutChangingTheReadingCountAgainstTheStepAgreementOnly()
    {
        // "a a _ _" and "a _ _ _" both read "a": the reading agrees, one of the four steps does not
        var stats = new OutputStats("y", ctcBlanks: [0]);
        stats.Add(Scores([[1, 1, 0, 0]]), Scores([[1, 0, 0, 0]]), "sample");
        var ctc = stats.Metrics().CtcAgreementFor(0)!;
        Assert.Equal(1.0, ctc.Agreement);
        Assert.Equal(0.75, ctc.StepAgreement);
    }

    [Fact]
    public void ATimeMajorOutputWithOneRowIsReadAlongItsSteps()
    {
        // [T, 1, C] (older CRNN exports) holds the same values as [1, T, C]: read as rows of one step each, every
        // "reading" would be one class and the step agreement the same, but the reading agreement would count steps
        static HostTensor TimeMajor(HostTensor t) => HostTensor.FromArray(t.AsSpan<float>().ToArray(), [t.Shape[1], 1, t.Shape[2]]);
        var (baseline, candidate) = (Scores([[1, 1, 0, 1, 2, 0]]), Scores([[1, 0, 0, 2, 2, 2]]));
        var rowMajor = new OutputStats("y", ctcBlanks: [0]);
        rowMajor.Add(baseline, candidate, "sample");
        var timeMajor = new OutputStats("y", ctcBlanks: [0]);
        timeMajor.Add(TimeMajor(baseline), TimeMajor(candidate), "sample");
        var (r, t) = (rowMajor.Metrics().CtcAgreementFor(0)!, timeMajor.Metrics().CtcAgreementFor(0)!);
        Assert.Equal(1, t.Rows);
        Assert.Equal((r.Rows, r.Agreement, r.CtcTokenErrorRate, r.StepAgreement), (t.Rows, t.Agreement, t.CtcTokenErrorRate, t.StepAgreement));
        Assert.Equal(0, t.Agreement); // "aab" against "ab": one line, read differently
    }

    [Theory]
    [InlineData(new[] { 1, 2, 3 }, new[] { 1, 3 }, 1)]
    [InlineData(new int[0], new[] { 1, 2 }, 2)]
    [InlineData(new[] { 1, 2 }, new[] { 2, 1 }, 2)]
    [InlineData(new[] { 11, 9, 20, 20, 9, 14, 7 }, new[] { 19, 9, 20, 20, 9, 14, 7, 0 }, 2)] // one substitution, one insertion
    public void EditDistanceCountsInsertionsDeletionsAndSubstitutions(int[] a, int[] b, int expected)
    {
        Assert.Equal(expected, CtcDecoding.EditDistance(a, b));
        Assert.Equal(expected, CtcDecoding.EditDistance(b, a));
    }

    [Fact]
    public void TheSameDecodingFromOtherScoresAgreesFully()
    {
        int[][] rows = [[0, 1, 1, 0, 2, 0], [2, 2, 0, 0, 1, 1]];
        var stats = new OutputStats("logits", ctcBlanks: [0]);
        stats.Add(Scores(rows, 0.8f), Scores(rows, 0.5f), "test");
        var m = stats.Metrics();
        var ctc = Assert.Single(m.CtcAgreement);
        Assert.Equal((0, 2L, 1.0, 0.0), (ctc.Blank, ctc.Rows, ctc.Agreement, ctc.CtcTokenErrorRate));
        Assert.True(m.MaxAbsError > 0.29, "the scores differ, only the reading is the same");
    }

    [Fact]
    public void OneRowReadDifferentlyCountsAsAFractionAndItsEditsOverTheBaselineLength()
    {
        // Baseline rows read "ab" (2 tokens), "aa" (2), "b" (1), "ba" (2): 7 tokens in all.
        int[][] baseline1 = [[1, 1, 0, 2], [1, 0, 1, 1]];
        int[][] baseline2 = [[0, 2, 2, 0], [2, 0, 1, 0]];
        // The candidate drops the blank between the two a's of row 2, which then read "a": one deletion.
        int[][] candidate1 = [[1, 1, 0, 2], [1, 1, 1, 1]];
        var stats = new OutputStats("logits", ctcBlanks: [0]);
        stats.Add(Scores(baseline1), Scores(candidate1), "one");
        stats.Add(Scores(baseline2), Scores(baseline2, 0.6f), "two");
        var ctc = Assert.Single(stats.Metrics().CtcAgreement);
        Assert.Equal(4, ctc.Rows);
        Assert.Equal(3.0 / 4, ctc.Agreement);
        Assert.Equal(1.0 / 7, ctc.CtcTokenErrorRate, 12);
    }

    [Fact]
    public void BlankMinusOneIsTheLastClass()
    {
        // With the last class (2) as the blank, "1 2 1" reads "aa" in the baseline and "1 1 1" reads "a": one deletion in 2.
        // With blank 0, "1 2 1" reads "aba" and "1 1 1" reads "a": two deletions in 3.
        var stats = new OutputStats("logits", ctcBlanks: [-1, 0]);
        stats.Add(Scores([[1, 2, 1]]), Scores([[1, 1, 1]]), "test");
        var m = stats.Metrics();
        Assert.Equal((0.0, 1.0 / 2), (m.CtcAgreementFor(-1)!.Agreement, m.CtcAgreementFor(-1)!.CtcTokenErrorRate));
        Assert.Equal((0.0, 2.0 / 3), (m.CtcAgreementFor(0)!.Agreement, m.CtcAgreementFor(0)!.CtcTokenErrorRate));
        Assert.Null(m.CtcAgreementFor(1));
    }

    [Fact]
    public void OnlyRankThreeOutputsAskedForCarryIt()
    {
        var notAsked = new OutputStats("logits");
        notAsked.Add(Scores([[1, 0, 2]]), Scores([[1, 0, 2]]), "test");
        Assert.Empty(notAsked.Metrics().CtcAgreement);
        var classifier = new OutputStats("probs", ctcBlanks: [0]);
        classifier.Add(HostTensor.FromArray(new[] { 0.1f, 0.9f }, [1, 2]), HostTensor.FromArray(new[] { 0.1f, 0.9f }, [1, 2]), "test");
        Assert.Empty(classifier.Metrics().CtcAgreement);
    }

    [Fact]
    public void ABlankClassOutsideTheOutputIsAUsageError()
    {
        var stats = new OutputStats("logits", ctcBlanks: [3]);
        var e = Assert.Throws<InvalidInputException>(() => stats.Add(Scores([[1, 0, 2]]), Scores([[1, 0, 2]]), "test"));
        Assert.Contains("3 classes", e.Message);
    }

    [Theory]
    [InlineData("ctc-agreement=0.98", 0, "ctc-agreement")]
    [InlineData("ctc-agreement@5=0.98", 5, "ctc-agreement@5")]
    [InlineData("CTC-Agreement@-1=0.98", -1, "ctc-agreement@-1")]
    public void TheGateNamesItsBlankClassZeroByDefault(string text, int blank, string name)
    {
        var gate = Gate.Parse(text);
        Assert.Equal((GateMetric.CtcAgreement, 0.98, blank, name), (gate.Metric, gate.Threshold, gate.BlankClass, gate.Name));
        Assert.Equal($"{name} >= 0.98", gate.Condition);
    }

    [Theory]
    [InlineData("ctc-agreement@x=0.98")]
    [InlineData("ctc-agreement@1.5=0.98")]
    [InlineData("ctc-agreement@-2=0.98")]
    [InlineData("ctc-agreement@=0.98")]
    public void ABlankClassThatIsNotAnIndexIsAUsageError(string text)
    {
        var e = Assert.Throws<InvalidInputException>(() => Gate.Parse(text));
        Assert.Contains("not a blank class index", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheGateJudgesTheWorstOutputAndNeedsOneThatHasIt()
    {
        var gate = Gate.Parse("ctc-agreement=0.95");
        OutputMetrics Output(string name, double agreement) => new() { Name = name, CtcAgreement = [new CtcAgreement(0, 100, agreement, 0.01)] };
        var result = Assert.Single(GateEvaluator.Evaluate([gate], [Output("a", 0.99), Output("b", 0.9), new() { Name = "c" }], null, new LatencyComparison(1, 1, 1, 1)));
        Assert.False(result.Passed);
        Assert.Equal(("b", 0.9), (result.Output, result.Actual));
        // Another blank class was not measured: no output has it.
        var e = Assert.Throws<InvalidInputException>(() => GateEvaluator.Evaluate([Gate.Parse("ctc-agreement@-1=0.95")], [Output("a", 0.99)], null, new LatencyComparison(1, 1, 1, 1)));
        Assert.Contains("[N, T, C]", e.Message);
    }
}
