using System.Globalization;

namespace Optimizer.Runtime.Sessions;

/// <summary>
/// The provider a session ran on and every option in effect, ONNX Runtime's defaults included, by ONNX Runtime's own
/// names, as report.json, report.md and manifest.json say it: the session's options (threads, graph optimization
/// level, spinning) and, on a GPU provider, each provider's options (device_id, cudnn_conv_algo_search, trt_fp16_enable, ...).
/// </summary>
public sealed record SessionOptionsInEffect(
    string Provider,
    IReadOnlyDictionary<string, string> Session,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ProviderOptions)
{
    public static SessionOptionsInEffect Of(SessionSettings settings)
    {
        var session = new Dictionary<string, string>
        {
            // 0: ONNX Runtime's choice (one thread per physical core); the tool pins inter-op to 1 when it sets a count.
            ["intra_op_num_threads"] = settings.Threads.ToString(CultureInfo.InvariantCulture),
            ["inter_op_num_threads"] = settings.Threads > 0 ? "1" : "0",
            ["graph_optimization_level"] = settings.OptimizationLevel.ToString(),
            ["session.intra_op.allow_spinning"] = settings.Spinning ? "1" : "0",
        };
        var providers = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        if (settings.Provider == ExecutionProvider.TensorRt) providers["tensorrt"] = InEffect(ProviderOptionCatalog.TensorRt, settings);
        if (settings.Provider != ExecutionProvider.Cpu) providers["cuda"] = InEffect(ProviderOptionCatalog.Cuda, settings);
        return new SessionOptionsInEffect(settings.Provider.ToString().ToLowerInvariant(), session, providers);
    }

    /// <summary>
    /// The root command's runs, for its manifest: <c>accuracy</c> (--validate's comparisons, and the accuracy budgets'),
    /// <c>latency</c> (their timing) and <c>calibration</c> (the sessions that observe ranges, which do not spin).
    /// </summary>
    public static IReadOnlyDictionary<string, SessionOptionsInEffect> OfPipeline(SessionSettings comparison, SessionSettings speed) =>
        new Dictionary<string, SessionOptionsInEffect>
        {
            ["accuracy"] = Of(comparison),
            ["latency"] = Of(speed),
            ["calibration"] = Of(Calibration.Calibrator.SessionOf(speed)),
        };

    /// <summary>One provider's options: the device, then each key given or with a known default, in the catalog's order.</summary>
    private static IReadOnlyDictionary<string, string> InEffect(IReadOnlyList<ProviderOptionKey> keys, SessionSettings settings)
    {
        var options = new Dictionary<string, string> { ["device_id"] = settings.DeviceId.ToString(CultureInfo.InvariantCulture) };
        foreach (var key in keys)
        {
            if (settings.ProviderOptions.TryGetValue(key.Name, out var given)) options[key.Name] = given;
            else if (key.Default is { } value) options[key.Name] = value;
        }
        return options;
    }

    /// <summary>One line per group for report.md: "session: intra_op_num_threads=0, ...; cuda: device_id=0, ...".</summary>
    public IEnumerable<string> Lines()
    {
        yield return $"session: {Join(Session)}";
        foreach (var (name, options) in ProviderOptions) yield return $"{name} provider: {Join(options)}";
    }

    private static string Join(IReadOnlyDictionary<string, string> options) =>
        string.Join(", ", options.Select(o => $"{o.Key}={(o.Value.Length == 0 ? "\"\"" : o.Value)}"));
}
