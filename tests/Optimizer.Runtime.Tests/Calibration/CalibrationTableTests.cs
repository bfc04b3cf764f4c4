using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Calibration;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Calibration;

/// <summary>calibration.json: written and read back unchanged, and the tables it must refuse.</summary>
public sealed class CalibrationTableTests
{
    private static CalibrationTable Table(int tensors) => new("entropy", 19, "ab12", null,
        Enumerable.Range(0, tensors).ToDictionary(i => $"t{i}", i => new TensorRange($"t{i}", -0.1f * i - 1e-7f, 3.3f + i)));

    [Fact]
    public void RoundTripKeepsEveryFieldAndFloatExactly()
    {
        using var dir = TestPaths.NewTempDir();
        var table = new CalibrationTable("percentile", 7, "ab12", "cd34", new Dictionary<string, TensorRange>
        {
            ["input"] = new("input", -2.117904f, 2.64f),
            ["conv/out:0"] = new("conv/out:0", 0f, 1.0000001f),
            ["odd name \"quoted\""] = new("odd name \"quoted\"", -1e-30f, 3.4e38f),
        });
        var path = dir.File("out/calibration.json");
        table.Write(path);
        var back = CalibrationTable.Read(path);
        Assert.Equal(("percentile", 7, "ab12", "cd34"), (back.Method, back.Samples, back.ModelHash, back.DataHash));
        Assert.Equal(table.Ranges.Values, back.Ranges.Values);
        Assert.Empty(Directory.GetFiles(dir.File("out"), "*.tmp"));
    }

    [Fact]
    public void AutoTablesKeepTheMethodChosenForEachTensor()
    {
        using var dir = TestPaths.NewTempDir();
        var wide = new TensorStatistics("wide");
        wide.Add(QuantizationErrorTests.Laplace(100_000, new Random(5)));
        var plain = new TensorStatistics("plain", 128);
        plain.Add(Enumerable.Range(0, 1000).Select(i => i / 100f).ToArray());
        var settings = new CalibrationSettings { Method = CalibrationMethod.Auto, Percentile = 99.9 };
        var table = CalibrationTable.From(new CalibrationStatistics(1, [wide, plain]), settings, [1]);
        Assert.Equal("auto", table.Method);
        Assert.Equal("minmax", table.ChosenMethods!["plain"]);
        Assert.NotEqual("minmax", table.ChosenMethods["wide"]);
        Assert.Equal(2, table.ChosenCounts!.Values.Sum());
        Assert.Equal(["minmax", "percentile", "entropy"], table.ChosenCounts.Keys);

        var path = dir.File("calibration.json");
        table.Write(path);
        var back = CalibrationTable.Read(path);
        Assert.Equal(table.ChosenMethods, back.ChosenMethods);
        Assert.Null(CalibrationTable.From(new CalibrationStatistics(1, [plain]), new CalibrationSettings(), [1]).ChosenMethods);
    }

    [Fact]
    public void CheckCoversNamesTheMissingTensors()
    {
        var table = Table(3);
        table.CheckCovers(["t0", "t2"], "cal.json");
        var e = Assert.Throws<InvalidInputException>(() => table.CheckCovers(["t0", "conv_a", "t1", "conv_b"], "cal.json"));
        Assert.Contains("cal.json", e.Message);
        Assert.Contains("'conv_a', 'conv_b'", e.Message);
        Assert.DoesNotContain("'t1'", e.Message);

        var many = Enumerable.Range(0, 25).Select(i => $"missing{i}").ToList();
        e = Assert.Throws<InvalidInputException>(() => table.CheckCovers(many, "cal.json"));
        Assert.Contains("'missing9' and 15 more", e.Message);
        Assert.DoesNotContain("missing10", e.Message);
    }

    [Theory]
    [InlineData("{ \"method\": \"entropy\", ", "not valid JSON")]
    [InlineData("[1, 2]", "not an object")]
    [InlineData("{ \"method\": \"entropy\", \"samples\": 3, \"ranges\": {} }", "'model_hash' is missing")]
    [InlineData("{ \"method\": \"kl\", \"samples\": 3, \"model_hash\": \"x\", \"ranges\": {} }", "method 'kl'")]
    [InlineData("{ \"method\": \"minmax\", \"samples\": 3, \"model_hash\": \"x\", \"ranges\": { \"a\": { \"min\": 1 } } }", "'a' has no 'max'")]
    [InlineData("{ \"method\": \"minmax\", \"samples\": 3, \"model_hash\": \"x\", \"ranges\": { \"a\": { \"min\": 2, \"max\": 1 } } }", "min 2 above max 1")]
    public void BadTablesAreRefusedWithTheFileName(string json, string problem)
    {
        using var dir = TestPaths.NewTempDir();
        var path = dir.File("broken.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<InvalidInputException>(() => CalibrationTable.Read(path));
        Assert.Contains("broken.json", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void TableFromStatisticsUsesTheSettingsMethodAndHashesTheModel()
    {
        var stats = new TensorStatistics("x", 128);
        stats.Add([-1f, 0.5f, 2f]);
        var collected = new CalibrationStatistics(1, [stats]);
        var table = CalibrationTable.From(collected, new CalibrationSettings { Method = CalibrationMethod.MinMax }, [1, 2, 3]);
        Assert.Equal("minmax", table.Method);
        // SHA-256 of the bytes 01 02 03
        Assert.Equal("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", table.ModelHash);
        Assert.Equal(new TensorRange("x", -1f, 2f), table.Ranges["x"]);
    }

    [Theory]
    [InlineData(CalibrationMethod.MinMax)]
    [InlineData(CalibrationMethod.Percentile)]
    [InlineData(CalibrationMethod.Entropy)]
    [InlineData(CalibrationMethod.Auto)]
    public void ATensorNoSampleComputedIsMarkedUnobservedInTheTableItsFileAndLeftOutOfTensorRtsCache(CalibrationMethod method)
    {
        using var dir = TestPaths.NewTempDir();
        var seen = new TensorStatistics("seen");
        seen.Add([-1f, 0.5f, 2f]);
        var unseen = new TensorStatistics("unseen"); // an If branch no sample took: nothing added
        var table = CalibrationTable.From(new CalibrationStatistics(3, [seen, unseen]), new CalibrationSettings { Method = method }, [1]);
        Assert.True(table.Ranges["seen"].Observed);
        Assert.False(table.Ranges["unseen"].Observed);

        var path = dir.File("calibration.json");
        table.Write(path);
        Assert.Contains("\"observed\": false", File.ReadAllText(path));
        var back = CalibrationTable.Read(path);
        Assert.False(back.Ranges["unseen"].Observed);
        Assert.True(back.Ranges["seen"].Observed);

        var cache = TensorRtCalibrationCache.Format(back.Ranges);
        Assert.Contains("seen: ", cache);
        Assert.DoesNotContain("unseen", cache);
    }
}
