using Optimizer.Runtime.Calibration;

namespace Optimizer.Runtime.Tests.Calibration;

/// <summary>The expected quantization error against closed forms and against quantizing the values themselves.</summary>
public sealed class QuantizationErrorTests
{
    [Fact]
    public void EvenlySpreadValuesInsideTheGridHaveTheRoundingNoiseOfOneTwelfthOfAStepSquared()
    {
        // counts equal in every bin over [-1, 1]; the int8 grid of amax 1 covers all of it: error s^2 / 12
        var h = new SymmetricHistogram(512);
        h.Cover(1);
        var values = Enumerable.Range(0, 1024).Select(i => -1 + (i + 0.5f) / 512).ToArray();
        h.Add(values);
        var grid = QuantizationGrid.SymmetricInt8(1f);
        var s = grid.Scale;
        Assert.Equal(s * s / 12, QuantizationError.Expected(h, -1, 1, grid), s * s / 12 * 1e-6);
    }

    [Fact]
    public void ValuesBeyondTheGridCostTheirSquaredDistanceToItsEdge()
    {
        var h = new SymmetricHistogram(128);
        h.Cover(10);
        h.Add([10f, 10f, 10f]);
        // grid [0, 5] in steps of 5 / 255: every value is clipped to 5
        var grid = QuantizationGrid.AsymmetricUInt8(0, 5);
        Assert.Equal(5, grid.High, 6);
        Assert.Equal(25, QuantizationError.Expected(h, 10, 10, grid), 4);
        // below the grid: x in [-3, -1] evenly against Low = 0 is the mean of x^2 = (27 - 1) / 3 / 2
        Assert.Equal(26.0 / 6, QuantizationError.MeanSquaredError(-3, -1, grid), 9);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ExpectedErrorMatchesQuantizingTheValuesThemselves(bool symmetric)
    {
        // Laplace-like activations with a few large outliers: compare every method's range
        var rng = new Random(7);
        var values = new float[200_000];
        for (var i = 0; i < values.Length; i++)
        {
            var u = rng.NextDouble() - 0.5;
            values[i] = (float)(-Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u)) + 0.3);
        }
        for (var i = 0; i < 20; i++) values[rng.Next(values.Length)] = 40f;
        var stats = new TensorStatistics("x");
        stats.Add(values);

        foreach (var method in RangeChoice.AutoCandidates)
        {
            var range = RangeChoice.Choose(stats, method, 99.99, symmetric);
            var expected = QuantizationError.Expected(stats.Histogram, stats.Min, stats.Max, QuantizationGrid.For(range, symmetric));
            var actual = MeasuredError(values, range, symmetric);
            Assert.True(Math.Abs(expected - actual) <= 0.03 * actual, $"{method}: expected {expected}, measured {actual}");
        }
    }

    [Fact]
    public void IsolatedOutliersCostMoreClippedThanTheyWasteInRoundingSoAutoKeepsThem()
    {
        // 5 values of 50 among 100 000 in [-1, 1]: clipping them costs 5 * 49^2 / 100 005 = 0.12, the min/max range's
        // rounding noise only (51 / 255)^2 / 12 = 0.0033
        var rng = new Random(3);
        var values = Enumerable.Range(0, 100_000).Select(_ => (float)(rng.NextDouble() * 2 - 1)).Concat(Enumerable.Repeat(50f, 5)).ToArray();
        var stats = new TensorStatistics("x");
        stats.Add(values);
        var (range, chosen) = RangeChoice.ChooseWithMethod(stats, CalibrationMethod.Auto, 99.99);
        Assert.Equal(CalibrationMethod.MinMax, chosen);
        Assert.Equal(50f, range.Max);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OnAHeavyTailAutoClipsAndItsChoiceIsTheBestMeasured(bool symmetric)
    {
        var values = Laplace(200_000, new Random(11));
        var stats = new TensorStatistics("x");
        stats.Add(values);
        var (range, chosen) = RangeChoice.ChooseWithMethod(stats, CalibrationMethod.Auto, 99.99, symmetric);
        Assert.NotEqual(CalibrationMethod.MinMax, chosen);
        Assert.Equal(RangeChoice.Choose(stats, chosen, 99.99, symmetric), range);
        var measured = RangeChoice.AutoCandidates.ToDictionary(m => m, m => MeasuredError(values, RangeChoice.Choose(stats, m, 99.99, symmetric), symmetric));
        Assert.True(measured[chosen] <= measured.Values.Min() * 1.01, string.Join(", ", measured.Select(kv => $"{kv.Key} {kv.Value:G4}")) + $"; chosen {chosen}");
    }

    /// <summary>Laplace(0, 1) values: a continuous heavy tail, as activations often have.</summary>
    internal static float[] Laplace(int count, Random rng)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            var u = rng.NextDouble() - 0.5;
            values[i] = (float)(-Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u)));
        }
        return values;
    }

    [Fact]
    public void OnATieAutoTakesTheFirstCandidate()
    {
        // percentile 100 is the observed range, the same as minmax
        var stats = new TensorStatistics("x", 256);
        stats.Add(Enumerable.Range(0, 1000).Select(i => i / 100f).ToArray());
        var (range, chosen) = RangeChoice.ChooseWithMethod(stats, CalibrationMethod.Auto, 100);
        Assert.Equal(RangeChoice.Choose(stats, CalibrationMethod.MinMax), range);
        Assert.Equal(CalibrationMethod.MinMax, chosen);
    }

    /// <summary>Mean squared error of quantizing the values with the passes' own arithmetic (uint8 with zero point, or int8).</summary>
    private static double MeasuredError(float[] values, TensorRange range, bool symmetric)
    {
        double scale;
        int zero, qmin, qmax;
        if (symmetric)
        {
            scale = range.AbsMax / 127f;
            (zero, qmin, qmax) = (0, -128, 127);
        }
        else
        {
            scale = (range.Max - range.Min) / 255f;
            zero = (int)Math.Round(-range.Min / scale);
            (qmin, qmax) = (0, 255);
        }
        var sum = 0.0;
        foreach (var x in values)
        {
            var q = Math.Clamp(Math.Round(x / scale) + zero, qmin, qmax);
            var d = x - (q - zero) * scale;
            sum += d * d;
        }
        return sum / values.Length;
    }
}
