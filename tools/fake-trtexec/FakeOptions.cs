using System.Globalization;

namespace FakeTrtexec;

/// <summary>The options of one run, read from the argument map the way AllOptions::parse does.</summary>
internal sealed class FakeOptions
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private FakeOptions(FakeVersion version) => Version = version;

    public FakeVersion Version { get; }

    /// <summary>Takes one copy of every option this release knows; returns the leftovers (unknown or repeated).</summary>
    public static (FakeOptions Options, IReadOnlyList<(string Key, string Value)> Unknown) Read(FakeVersion version, ArgumentMap args)
    {
        var options = new FakeOptions(version);
        foreach (var (key, _) in args.Remaining.ToList())
        {
            if (!FlagTable.IsKnown(version, key) || options._values.ContainsKey(key)) continue;
            options._values[key] = args.Take(key)!;
        }
        return (options, args.Remaining);
    }

    public bool Has(string key) => _values.ContainsKey(key);
    public string? Get(string key) => _values.GetValueOrDefault(key);

    public string? Onnx => Get("--onnx");
    public string? SaveEngine => Get("--saveEngine");
    public string? LoadEngine => Get("--loadEngine");
    public bool Fp16 => Has("--fp16");
    public bool Int8 => Has("--int8");
    public bool Best => Has("--best");
    public bool Bf16 => Has("--bf16");
    public bool Fp8 => Has("--fp8");
    public bool StronglyTyped => Version.StronglyTypedByDefault || Has("--stronglyTyped");
    public bool SkipInference => Has("--skipInference") || Has("--buildOnly");
    public bool DetailedProfiling => Get("--profilingVerbosity") == "detailed";
    public int Device => Int("--device", 0);
    public int Iterations => Int("--iterations", 10);
    public double DurationSeconds => Double("--duration", 3);
    public double WarmUpMs => Double("--warmUp", 200);
    public int AvgRuns => Int("--avgRuns", 10);

    /// <summary>11.x moved data transfers off by default (--includeDataTransfers turns them back on).</summary>
    public bool DataTransfers => Version.Major >= 11 ? Has("--includeDataTransfers") : !Has("--noDataTransfers");

    public IReadOnlyList<double> Percentiles =>
        Get("--percentile") is { } list
            ? list.Split(',').Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToList()
            : [90, 95, 99];

    public int Int(string key, int fallback) => Get(key) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Double(string key, double fallback) =>
        Get(key) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    /// <summary>The checks AllOptions::parse makes after reading; a message means "invalid argument".</summary>
    public string? Validate()
    {
        if (Onnx is null && LoadEngine is null) return "Model missing or format not recognized";
        if (SaveEngine is not null && LoadEngine is not null) return "Cannot use both --saveEngine and --loadEngine";
        if (Has("--stronglyTyped") && Best) return "Invalid usage, --best is not allowed with --stronglyTyped.";
        if (Fp8 && Int8) return "Invalid usage, fp8 and int8 cannot be enabled at the same time.";
        foreach (var key in new[] { "--device", "--iterations", "--avgRuns", "--builderOptimizationLevel" })
            if (Get(key) is { } v && !int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                return $"Invalid value for {key}: {v}";
        foreach (var key in new[] { "--duration", "--warmUp" })
            if (Get(key) is { } v && !double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                return $"Invalid value for {key}: {v}";
        if (Get("--percentile") is { } list && list.Split(',').Any(p => !double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || x is < 0 or > 100))
            return $"Invalid percentile: {list}";
        if (Get("--builderOptimizationLevel") is { } level && int.Parse(level, CultureInfo.InvariantCulture) is < 0 or > 5)
            return $"Invalid builderOptimizationLevel: {level}. Valid values are 0 to 5.";
        foreach (var key in new[] { "--shapes", "--minShapes", "--optShapes", "--maxShapes" })
        {
            try
            {
                ShapeSpec.Parse(Get(key));
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
            {
                return $"Invalid {key}: {e.Message}";
            }
        }
        return Get("--memPoolSize") is { } pool ? MemPool.Validate(Version, pool) : null;
    }
}
