using System.Globalization;
using System.Text.RegularExpressions;
using Optimizer.TensorRt.Versions;

namespace Optimizer.TensorRt.Logs;

/// <summary>
/// Reads a trtexec run line by line (as it streams) into a <see cref="TrtexecLog"/>: version and build from the banner,
/// the device, parse and build times, the engine size, the performance summary, warnings and errors, and the
/// PASSED/FAILED line. Raises <see cref="PhaseChanged"/> as the run moves on.
/// </summary>
public sealed partial class LogParser
{
    private const string Number = @"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?";
    private readonly List<string> _warnings = [];
    private readonly List<string> _errors = [];
    private readonly Dictionary<string, LatencyStats> _stats = new(StringComparer.Ordinal);
    private TensorRtVersion? _version;
    private string? _gpuName, _computeCapability, _uuid;
    private double? _parseSeconds, _buildSeconds, _engineMiB, _deserializeSeconds, _throughput, _walltime, _gpuTotal;
    private int? _queries;
    private bool _passed, _failed, _skipped, _deviceMissing;

    public BuildPhase Phase { get; private set; } = BuildPhase.Starting;

    public event Action<BuildPhase>? PhaseChanged;

    public static TrtexecLog ParseAll(IEnumerable<LogLine> lines)
    {
        var parser = new LogParser();
        foreach (var line in lines) parser.Add(line);
        return parser.Result();
    }

    public void Add(LogLine line)
    {
        if (line.Raw.StartsWith("&&&& ", StringComparison.Ordinal)) { Banner(line.Raw); return; }
        if (line.IsError) _errors.Add(line.FromTensorRt ? "[TRT] " + line.Text : line.Text);
        else if (line.IsWarning) _warnings.Add(line.FromTensorRt ? "[TRT] " + line.Text : line.Text);
        if (line.Severity == '\0') return;
        var text = line.Text;
        if (text.StartsWith("Cannot find any available devices", StringComparison.Ordinal) || text.StartsWith("Cannot find device ID", StringComparison.Ordinal))
            _deviceMissing = true;
        else if (After(text, "Selected Device: ") is { } name) _gpuName = name;
        else if (After(text, "Selected Device UUID: ") is { } uuid) _uuid = uuid;
        else if (After(text, "Compute Capability: ") is { } cc) _computeCapability = cc;
        else if (text.StartsWith("Start parsing network model", StringComparison.Ordinal)) Move(BuildPhase.Parsing);
        else if (Match(ParseTime(), text) is { } parse) { _parseSeconds = parse; Move(BuildPhase.Building); }
        else if (Match(BuiltIn(), text) is { } built) _buildSeconds = built;
        else if (Match(EngineSize(), text) is { } size) _engineMiB = size;
        else if (Match(Deserialized(), text) is { } deserialized) _deserializeSeconds = deserialized;
        else if (text.StartsWith("Engine loaded in", StringComparison.Ordinal)) Move(BuildPhase.LoadingEngine);
        else if (text.StartsWith("Starting inference", StringComparison.Ordinal)) Move(BuildPhase.Inference);
        else if (text.StartsWith("Skipped inference phase", StringComparison.Ordinal)) _skipped = true;
        else if (Match(Throughput(), text) is { } qps) _throughput = qps;
        else if (Match(Walltime(), text) is { } wall) _walltime = wall;
        else if (Match(GpuTotal(), text) is { } total) _gpuTotal = total;
        else if (TraceQueries().Match(text) is { Success: true } trace) _queries = int.Parse(trace.Groups[1].Value, CultureInfo.InvariantCulture);
        else if (StatsLine().Match(text) is { Success: true } stats) _stats[stats.Groups["name"].Value] = ParseStats(stats.Groups["rest"].Value);
    }

    public TrtexecLog Result()
    {
        PerformanceSummary? summary = null;
        if (_throughput is { } qps && _stats.TryGetValue("Latency", out var latency) && _stats.TryGetValue("GPU Compute Time", out var compute))
            summary = new PerformanceSummary(qps, latency, _stats.GetValueOrDefault("Enqueue Time"), _stats.GetValueOrDefault("H2D Latency"),
                compute, _stats.GetValueOrDefault("D2H Latency"), _walltime, _gpuTotal, _queries);
        var gpu = _gpuName is null ? null : new GpuInfo(_gpuName, _computeCapability, _uuid);
        return new TrtexecLog(_version, gpu, _parseSeconds, _buildSeconds, _engineMiB, _deserializeSeconds, summary, _warnings.ToList(), _errors.ToList(),
            _passed, _failed, _skipped, _deviceMissing);
    }

    private void Banner(string raw)
    {
        if (raw.StartsWith("&&&& RUNNING", StringComparison.Ordinal)) _version ??= TensorRtVersion.FromBanner(raw);
        else if (raw.StartsWith("&&&& PASSED", StringComparison.Ordinal)) { _passed = true; Move(BuildPhase.Finished); }
        else if (raw.StartsWith("&&&& FAILED", StringComparison.Ordinal)) { _failed = true; Move(BuildPhase.Finished); }
    }

    private void Move(BuildPhase phase)
    {
        if (phase == Phase) return;
        Phase = phase;
        PhaseChanged?.Invoke(phase);
    }

    private static LatencyStats ParseStats(string rest)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        var percentiles = new Dictionary<double, double>();
        foreach (Match m in StatEntry().Matches(rest))
        {
            var value = double.Parse(m.Groups["v"].Value, CultureInfo.InvariantCulture);
            if (m.Groups["p"].Success) percentiles[double.Parse(m.Groups["p"].Value, CultureInfo.InvariantCulture)] = value;
            else values[m.Groups["k"].Value] = value;
        }
        return new LatencyStats(values.GetValueOrDefault("min"), values.GetValueOrDefault("max"), values.GetValueOrDefault("mean"),
            values.GetValueOrDefault("median"), percentiles);
    }

    private static string? After(string text, string prefix) =>
        text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..].Trim() : null;

    private static double? Match(Regex regex, string text) =>
        regex.Match(text) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"^Finished parsing network model\. Parse time: (" + Number + ")")] private static partial Regex ParseTime();
    [GeneratedRegex(@"^Engine built in (" + Number + ") sec")] private static partial Regex BuiltIn();
    [GeneratedRegex(@"^(?:Created|Loaded) engine with size: (" + Number + ") MiB")] private static partial Regex EngineSize();
    [GeneratedRegex(@"^Engine deserialized in (" + Number + ") sec")] private static partial Regex Deserialized();
    [GeneratedRegex(@"^Throughput: (" + Number + ") qps")] private static partial Regex Throughput();
    [GeneratedRegex(@"^Total Host Walltime: (" + Number + ") s")] private static partial Regex Walltime();
    [GeneratedRegex(@"^Total GPU Compute Time: (" + Number + ") s")] private static partial Regex GpuTotal();
    [GeneratedRegex(@"^Timing trace has (\d+) queries")] private static partial Regex TraceQueries();
    [GeneratedRegex(@"^(?<name>Latency|Enqueue Time|H2D Latency|GPU Compute Time|D2H Latency): (?<rest>min = .*)$")] private static partial Regex StatsLine();
    [GeneratedRegex(@"(?:(?<k>min|max|mean|median)|percentile\((?<p>" + Number + @")%\)) = (?<v>" + Number + ") ms")] private static partial Regex StatEntry();
}
