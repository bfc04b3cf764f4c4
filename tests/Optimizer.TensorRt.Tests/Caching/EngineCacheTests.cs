using Optimizer.TensorRt.Engines;
using Optimizer.TensorRt.Tests.Support;

namespace Optimizer.TensorRt.Tests.Caching;

/// <summary>A second build from the same inputs comes from the engine cache; any change of input misses it.</summary>
public sealed class EngineCacheTests
{
    [Theory]
    [InlineData("8.6.1.6")]
    [InlineData("10.13.0.35")]
    [InlineData("11.1.0.6")]
    public async Task The_same_inputs_hit_the_cache(string version)
    {
        using var h = new BuildHarness(version, "qdq");
        var first = await EngineBuilder.BuildAsync(h.Request() with { EngineCacheDir = h.Cache }, CancellationToken.None);
        var secondOut = Path.Combine(h.Root, "out2");
        var second = await EngineBuilder.BuildAsync(h.Request(outDir: secondOut) with { EngineCacheDir = h.Cache }, CancellationToken.None);

        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Equal(first.CacheKey, second.CacheKey);
        Assert.Equal(first.EngineSha256, second.EngineSha256);
        Assert.Equal(await File.ReadAllTextAsync(first.LogPath), await File.ReadAllTextAsync(second.LogPath));
        Assert.Equal(first.Log.Summary!.ThroughputQps, second.Log.Summary!.ThroughputQps);
        Assert.Equal(first.Log.Summary.Latency.Percentile(99), second.Log.Summary.Latency.Percentile(99));
        Assert.Equal(first.Layers!.Int8, second.Layers!.Int8);
    }

    [Fact]
    public async Task Different_flags_or_another_release_miss_the_cache()
    {
        using var h = new BuildHarness("10.9.0.34");
        var first = await EngineBuilder.BuildAsync(h.Request() with { EngineCacheDir = h.Cache }, CancellationToken.None);
        var level5 = BuildHarness.QuickSettings with { OptimizationLevel = 5 };
        var other = await EngineBuilder.BuildAsync(h.Request(level5, Path.Combine(h.Root, "o2")) with { EngineCacheDir = h.Cache }, CancellationToken.None);
        var newer = FakeTrtexec.Wrapper(Path.Combine(h.Root, "bin2"), "10.13.0.35");
        var upgraded = await EngineBuilder.BuildAsync(h.Request(outDir: Path.Combine(h.Root, "o3")) with { Trtexec = newer, EngineCacheDir = h.Cache }, CancellationToken.None);

        Assert.False(other.FromCache);
        Assert.False(upgraded.FromCache);
        Assert.Equal(3, new[] { first.CacheKey, other.CacheKey, upgraded.CacheKey }.Distinct().Count());
    }

    [Theory]
    [InlineData("10.9.0.34", "Loaded {0} bytes of timing cache from {1}")]
    [InlineData("10.13.0.35", "Loaded {0} bytes of cache from file: {1}")]
    public async Task Without_an_engine_cache_a_rebuild_reuses_the_timing_cache(string version, string loadedMessage)
    {
        using var h = new BuildHarness(version);
        var first = await h.BuildAsync();
        var second = await EngineBuilder.BuildAsync(h.Request(outDir: Path.Combine(h.Root, "o2")), CancellationToken.None);

        Assert.False(second.FromCache);
        var timingCache = first.Flags.Single(f => f.StartsWith("--timingCacheFile=")).Split('=', 2)[1];
        Assert.StartsWith(h.Cache, timingCache);
        Assert.Contains(string.Format(loadedMessage, new FileInfo(timingCache).Length, timingCache), await File.ReadAllTextAsync(second.LogPath));
        Assert.True(second.Log.BuildSeconds < first.Log.BuildSeconds);
    }
}
