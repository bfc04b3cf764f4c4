using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Flags;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Engines;

/// <summary>Implicit INT8 (an FP32 model with --precision int8/best): the calibration cache goes to 8.x only.</summary>
public sealed class ImplicitInt8Tests
{
    [Fact]
    public async Task TensorRT_8_reads_the_projects_calibration_cache()
    {
        using var h = new BuildHarness("8.6.1.6");
        var cache = Path.Combine(h.Root, "calibration.cache");
        await File.WriteAllTextAsync(cache, "TRT-8601-EntropyCalibration2\nx: 3c008912\n");
        var request = h.Request(BuildHarness.QuickSettings with { Precision = EnginePrecision.Int8 }) with { CalibrationCache = cache };

        var result = await EngineBuilder.BuildAsync(request, CancellationToken.None);

        Assert.Contains($"--calib={cache}", result.Flags);
        Assert.Contains("--calib={calibration.cache}", result.FlagIdentity);
        Assert.Contains($"Reading Calibration Cache for calibrator: EntropyCalibration2 from {cache}", await File.ReadAllTextAsync(result.LogPath));
        Assert.Equal(1, result.Layers!.Int8);
    }

    [Fact]
    public async Task A_different_calibration_cache_is_a_different_engine()
    {
        using var h = new BuildHarness("8.6.1.6");
        var cache = Path.Combine(h.Root, "calibration.cache");
        var settings = BuildHarness.QuickSettings with { Precision = EnginePrecision.Int8 };
        await File.WriteAllTextAsync(cache, "TRT-8601-EntropyCalibration2\nx: 3c008912\n");
        var first = await EngineBuilder.BuildAsync(h.Request(settings) with { CalibrationCache = cache, EngineCacheDir = h.Cache }, CancellationToken.None);
        await File.WriteAllTextAsync(cache, "TRT-8601-EntropyCalibration2\nx: 3d008912\n");
        var second = await EngineBuilder.BuildAsync(h.Request(settings, Path.Combine(h.Root, "o2")) with { CalibrationCache = cache, EngineCacheDir = h.Cache }, CancellationToken.None);

        Assert.False(second.FromCache);
        Assert.NotEqual(first.CacheKey, second.CacheKey);
    }

    [Fact]
    public async Task TensorRT_10_builds_best_without_a_cache_and_warns_that_the_ranges_are_placeholders()
    {
        using var h = new BuildHarness("10.9.0.34");
        var result = await h.BuildAsync(BuildHarness.QuickSettings with { Precision = EnginePrecision.Best });

        Assert.Contains("--best", result.Flags);
        Assert.DoesNotContain(result.Flags, f => f.StartsWith("--calib"));
        Assert.Contains(result.Warnings, w => w.Contains("placeholder ranges"));
        Assert.Equal(1, result.Layers!.Int8);
    }
}
