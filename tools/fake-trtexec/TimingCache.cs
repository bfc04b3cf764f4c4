namespace FakeTrtexec;

/// <summary>
/// --timingCacheFile: loaded when present, else a new cache is started; after a successful build it is rewritten.
/// The wording changed in 10.13 (TRTEXEC.md §4). A cache from another TensorRT version or GPU is not used.
/// </summary>
internal sealed class TimingCache(string path, FakeSettings settings, Log log)
{
    private string Header => $"fake-timing-cache {settings.Version.Dotted}.{settings.Version.Build} {settings.Gpu}";

    /// <summary>True when a usable cache was loaded (the build then needs far fewer timing runs).</summary>
    public bool Load()
    {
        var bytes = File.Exists(path) ? File.ReadAllBytes(path) : null;
        var usable = bytes is not null && File.ReadAllLines(path).FirstOrDefault() == Header;
        if (!usable)
        {
            if (settings.Version.NewCacheWording) log.TrtWarning($"Could not read cache from: {path}. A new cache will be generated and written.");
            else log.TrtWarning($"Could not read timing cache from: {path}. A new timing cache will be generated and written.");
            return false;
        }
        if (settings.Version.NewCacheWording) log.TrtInfo($"Loaded {bytes!.Length} bytes of cache from file: {path}");
        else log.TrtInfo($"Loaded {bytes!.Length} bytes of timing cache from {path}");
        return true;
    }

    public void Save(IEnumerable<FakeLayer> layers)
    {
        var lines = new[] { Header }.Concat(layers.Select(l => $"{l.OpType} {l.Precision} {l.WeightCount}"));
        File.WriteAllLines(path, lines);
        log.TrtInfo($"Saved {new FileInfo(path).Length} bytes of timing cache to {path}");
    }
}
