using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Calibration;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Calibration;

/// <summary>TensorRT's calibration cache: header, hex of float32 scales, and reading it back.</summary>
public sealed class TensorRtCalibrationCacheTests
{
    [Fact]
    public void HeaderAndLinesFollowTensorRtsFormat()
    {
        var ranges = new Dictionary<string, TensorRange>
        {
            ["input"] = new("input", -1f, 0.5f),
            ["conv1/out"] = new("conv1/out", 0f, 127f),
        };
        var text = TensorRtCalibrationCache.Format(ranges);
        // amax 1 -> scale 1/127 = 0x3c010204; amax 127 -> scale 1 = 0x3f800000
        Assert.Equal("TRT-8601-EntropyCalibration2\ninput: 3c010204\nconv1/out: 3f800000\n", text);
        Assert.StartsWith("TRT-100900-EntropyCalibration2\n", TensorRtCalibrationCache.Format(ranges, 100900));
    }

    [Fact]
    public void HexIsTheBigEndianBitsOfTheScale()
    {
        Assert.Equal("3c010204", TensorRtCalibrationCache.Hex(1f / 127f));
        Assert.Equal(0.007874016f, 1f / 127f);
        // a line value seen in real caches
        var (_, scales) = TensorRtCalibrationCache.Parse("TRT-8601-EntropyCalibration2\nx: 3c010a14\n");
        Assert.Equal(0.0078759380f, scales["x"], 9);
        Assert.Equal(1f / 127f, TensorRtCalibrationCache.ScaleOf(new TensorRange("zeros", 0f, 0f)));
    }

    [Fact]
    public void WrittenCacheParsesBackToTheScales()
    {
        using var dir = TestPaths.NewTempDir();
        var ranges = Enumerable.Range(1, 5).ToDictionary(i => $"t:{i}", i => new TensorRange($"t:{i}", -0.37f * i, 0.11f * i));
        var path = dir.File("model.cache");
        TensorRtCalibrationCache.Write(path, ranges, 8510);
        var (version, scales) = TensorRtCalibrationCache.Read(path);
        Assert.Equal(8510, version);
        Assert.Equal(ranges.Keys, scales.Keys);
        foreach (var (name, range) in ranges) Assert.Equal(range.AbsMax / 127f, scales[name]);
    }

    [Theory]
    [InlineData("TRT-86x1-EntropyCalibration2\n", "first line")]
    [InlineData("TRT-8601-EntropyCalibration2\nx: 3c01\n", "'x: 3c01'")]
    [InlineData("TRT-8601-EntropyCalibration2\nno colon here\n", "'no colon here'")]
    public void MalformedCachesAreRefused(string text, string problem)
    {
        var e = Assert.Throws<InvalidInputException>(() => TensorRtCalibrationCache.Parse(text, "my.cache"));
        Assert.Contains("my.cache", e.Message);
        Assert.Contains(problem, e.Message);
    }
}
